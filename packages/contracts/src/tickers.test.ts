import { InvalidTickerError } from './errors';
import {
  isNormalizedTicker,
  normalizeTicker,
  normalizeTickers,
} from './tickers';

describe('ticker normalisation', () => {
  it('upper-cases and trims real symbols', () => {
    expect(normalizeTickers(['aapl', ' brk.a ', 'BF-B', 'SPY'])).toEqual([
      'AAPL',
      'BRK.A',
      'BF-B',
      'SPY',
    ]);
  });

  it('removes duplicates, keeping first-seen order', () => {
    expect(normalizeTickers(['MSFT', 'aapl', 'msft', 'AAPL'])).toEqual([
      'MSFT',
      'AAPL',
    ]);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['AA PL', 'not a ticker symbol'],
    ['AAPL\n', undefined],
    ['$AAPL', 'not a ticker symbol'],
    ['ABCDEFGHIJKLMNOPQ', 'not a ticker symbol'],
  ])('classifies %j', (value, reason) => {
    const r = normalizeTicker(value);
    if (reason === undefined) expect(r).toEqual({ ok: true, ticker: 'AAPL' });
    else expect(r).toEqual({ ok: false, reason });
  });

  it.each(['ıbm', 'ſpy', 'ß', 'ﬁ', 'ａapl', 'AAPL\u00a0x', 'ÀAPL'])(
    'rejects %j instead of case-mapping it into ASCII',
    value => {
      expect(normalizeTicker(value)).toEqual({
        ok: false,
        reason: 'not a ticker symbol',
      });
    },
  );

  it('upper-cases ASCII and trims ASCII whitespace only', () => {
    expect(normalizeTicker('\tbrk.a \n')).toEqual({
      ok: true,
      ticker: 'BRK.A',
    });
    expect(normalizeTicker('\u00a0AAPL').ok).toBe(false);
  });

  it.each([null, undefined, 42, {}, ['AAPL']])(
    'rejects the non-string %j',
    value => {
      expect(normalizeTicker(value).ok).toBe(false);
    },
  );

  it('rejects a whole list that holds any invalid element, naming each one', () => {
    let caught: unknown;
    try {
      normalizeTickers(['AAPL', '', 7, 'MS FT']);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidTickerError);
    const e = caught as InvalidTickerError;
    expect(e.invalid.map(i => i.index)).toEqual([1, 2, 3]);
    expect(e.message).toMatch(/3 invalid ticker/);
  });

  it('recognises already-normalised symbols only', () => {
    expect(isNormalizedTicker('AAPL')).toBe(true);
    expect(isNormalizedTicker('aapl')).toBe(false);
    expect(isNormalizedTicker(' AAPL')).toBe(false);
  });
});
