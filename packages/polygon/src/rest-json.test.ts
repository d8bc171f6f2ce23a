import { seededRandom } from '@tickpulse/testkit';
import { millisToNs, nsToMillis, parseRestJson } from './rest-json';

describe('REST JSON with nanosecond times', () => {
  it('keeps ns integers exact and converts a print at the last ns of a millisecond to that millisecond', () => {
    const body =
      '{"results":[{"sip_timestamp":1800000000123999999,"price":1.5,"size":100,"conditions":[12, 37]}],"count":1}';
    // What a float read would do: the value rounds up into the next millisecond.
    expect(Math.floor(JSON.parse(body).results[0].sip_timestamp / 1e6)).toBe(
      1_800_000_000_124,
    );
    const parsed = parseRestJson(body) as {
      results: { sip_timestamp: string; price: number; conditions: number[] }[];
    };
    expect(parsed.results[0]!.sip_timestamp).toBe('1800000000123999999');
    expect(nsToMillis(parsed.results[0]!.sip_timestamp)).toBe(
      1_800_000_000_123,
    );
    expect(parsed.results[0]!.price).toBe(1.5);
    expect(parsed.results[0]!.conditions).toEqual([12, 37]);
  });

  it('quotes big integers in arrays and before a closing brace, leaves strings and short numbers alone', () => {
    expect(
      parseRestJson(
        '{"a":[1700000000000000001, 2],"b":{"t":1700000000000000002},"c":"x:1700000000000000003"}',
      ),
    ).toEqual({
      a: ['1700000000000000001', 2],
      b: { t: '1700000000000000002' },
      c: 'x:1700000000000000003',
    });
  });

  it('leaves big-integer look-alikes inside strings alone, escapes included', () => {
    expect(
      parseRestJson(
        '{"note":"x,1796645000000000000]y","q":"a\\"b:1796645000000000001}","t":1796645000000000002}',
      ),
    ).toEqual({
      note: 'x,1796645000000000000]y',
      q: 'a"b:1796645000000000001}',
      t: '1796645000000000002',
    });
  });

  it('reads random documents as JSON.parse would, with every 16+-digit integer as its digits', () => {
    // The generator knows what each document holds; the serializer writes
    // big integers as bare digits, as Polygon does, and strings full of
    // digits, quotes, escapes and brackets that must stay text.
    const rand = seededRandom(2612);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const digits = (n: number) =>
      String(1 + Math.floor(rand() * 9)) +
      Array.from({ length: n - 1 }, () => Math.floor(rand() * 10)).join('');
    const piece = () =>
      pick([
        '1796645000000000000',
        ',',
        ']',
        '}',
        '[',
        ':',
        '"',
        '\\',
        'é',
        ' ',
        'e5',
        '-',
        'x',
      ]);
    const gen = (depth: number): { value: unknown; text: string } => {
      const kind =
        depth > 3
          ? pick(['int', 'str', 'float'])
          : pick(['int', 'big', 'str', 'float', 'arr', 'obj', 'lit']);
      switch (kind) {
        case 'big': {
          const t =
            (rand() < 0.2 ? '-' : '') + digits(16 + Math.floor(rand() * 5));
          return { value: t, text: t };
        }
        case 'int': {
          const t =
            (rand() < 0.2 ? '-' : '') + digits(1 + Math.floor(rand() * 15));
          return { value: Number(t), text: t };
        }
        case 'float': {
          const t = `${digits(1 + Math.floor(rand() * 18))}.${digits(3)}${rand() < 0.3 ? `e${pick(['+', '-', ''])}${digits(2)}` : ''}`;
          return { value: Number(t), text: t };
        }
        case 'str': {
          const v = Array.from({ length: Math.floor(rand() * 6) }, piece).join(
            '',
          );
          return { value: v, text: JSON.stringify(v) };
        }
        case 'lit': {
          const v = pick([true, false, null]);
          return { value: v, text: JSON.stringify(v) };
        }
        case 'arr': {
          const items = Array.from({ length: Math.floor(rand() * 4) }, () =>
            gen(depth + 1),
          );
          return {
            value: items.map(i => i.value),
            text: `[${items.map(i => i.text).join(pick([',', ', ', ' ,\n']))}]`,
          };
        }
        default: {
          const entries = Array.from(
            { length: Math.floor(rand() * 4) },
            (_, k) => {
              const key = `${Array.from({ length: 3 }, piece).join('')}${k}`;
              return { key, ...gen(depth + 1) };
            },
          );
          return {
            value: Object.fromEntries(entries.map(e => [e.key, e.value])),
            text: `{${entries.map(e => `${JSON.stringify(e.key)}:${pick(['', ' '])}${e.text}`).join(',')}}`,
          };
        }
      }
    };
    let bigs = 0;
    for (let n = 0; n < 2000; n++) {
      const doc = gen(0);
      bigs += (doc.text.match(/(?<![\d."])-?\d{16,}(?![\d.eE])/g) ?? []).length;
      expect({ n, text: doc.text, parsed: parseRestJson(doc.text) }).toEqual({
        n,
        text: doc.text,
        parsed: doc.value,
      });
    }
    expect(bigs).toBeGreaterThan(200);
  });

  it('rejects what is not a ns value', () => {
    for (const v of [
      1.8e18,
      '1800000000123',
      '-1800000000123999999',
      'abc',
      undefined,
      '180000000012399999999',
    ])
      expect(nsToMillis(v)).toBeNaN();
  });

  it('converts ms to ns digits', () => {
    expect(millisToNs(1_800_000_000_123)).toBe('1800000000123000000');
  });
});
