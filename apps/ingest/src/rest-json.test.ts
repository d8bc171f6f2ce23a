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
