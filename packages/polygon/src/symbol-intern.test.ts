import {
  clearSymbols,
  internedSymbols,
  internSymbol,
  lastVerdict,
  MAX_SYMBOLS,
} from './symbol-intern.js';

const bytes = (s: string) => Buffer.from(`xx${s}yy`, 'latin1');

/** Interns `s` read from the middle of a buffer, as the scanner does. */
function intern(s: string, judge = { _symbolOk: (x: string) => x !== 'BAD' }) {
  return internSymbol(bytes(s), 2, 2 + s.length, judge);
}

describe('symbol interning', () => {
  beforeEach(() => clearSymbols());

  it('returns one string per symbol and asks for its verdict once', () => {
    const asked: string[] = [];
    const judge = {
      _symbolOk: (s: string) => {
        asked.push(s);
        return s !== 'BAD';
      },
    };
    for (const s of ['AAPL', 'BAD', 'AAPL', 'GOOGL', 'BAD', 'GOOGL', '']) {
      const got = intern(s, judge);
      expect(got).toBe(s);
      expect(lastVerdict()).toBe(s !== 'BAD');
    }
    expect(asked).toEqual(['AAPL', 'BAD', 'GOOGL', '']);
    expect(internedSymbols()).toBe(4);
  });

  it('tells apart symbols of every length, short keys and long hashes alike', () => {
    // Prefixes of each other, and symbols whose packed keys would meet
    // without the length marker ("A" vs "\u0001A" is not printable, so
    // lengths are what matters).
    const all = ['A', 'AA', 'AAA', 'AAAA', 'AAAAA', 'AAAAAA', 'BRK.A', 'BRK.B'];
    for (const s of all) intern(s);
    for (const s of all) expect(intern(s)).toBe(s);
    expect(internedSymbols()).toBe(all.length);
  });

  it('separates long symbols whose hashes collide', () => {
    // "Aa" and "BB" have the same 31-multiplier hash; so do these.
    const a = 'XYZAa';
    const b = 'XYZBB';
    expect(intern(a)).toBe(a);
    expect(intern(b)).toBe(b);
    expect(intern(a)).toBe(a);
    expect(internedSymbols()).toBe(2);
  });

  it('starts over instead of growing past its bound', () => {
    for (let n = 0; n < MAX_SYMBOLS; n++) intern(`S${n}`);
    expect(internedSymbols()).toBe(MAX_SYMBOLS);
    expect(intern('ONE.MORE')).toBe('ONE.MORE');
    expect(internedSymbols()).toBe(1);
    expect(intern('S5')).toBe('S5');
    expect(internedSymbols()).toBe(2);
  });
});
