import { createKeys } from './keys';

describe('Redis key schema', () => {
  it('produces byte-identical keys to the existing Go backend with the default prefix', () => {
    const keys = createKeys();
    expect(keys.tickUpd()).toBe('TICK:UPD');
    expect(keys.stratUniv(42)).toBe('STRAT:42:UNIV');
    expect(keys.stratLast(42)).toBe('STRAT:42:LAST');
    expect(keys.stratUnivPattern()).toBe('STRAT:*:UNIV');
    expect(keys.lease('ingest')).toBe('TICKPULSE:LEASE:ingest');
    expect(keys.watermark('ingest')).toBe('TICKPULSE:WATERMARK:ingest');
    expect(keys.stratClaim(42)).toBe('STRAT:42:CLAIM');
    expect(keys.dataEpoch()).toBe('TICKPULSE:EPOCH');
  });

  it('prepends a namespace prefix to every key', () => {
    const keys = createKeys('{tp}:');
    expect(keys.tickUpd()).toBe('{tp}:TICK:UPD');
    expect(keys.stratUniv(7)).toBe('{tp}:STRAT:7:UNIV');
    expect(keys.stratLast(7)).toBe('{tp}:STRAT:7:LAST');
    expect(keys.stratClaim(7)).toBe('{tp}:STRAT:7:CLAIM');
    expect(keys.dataEpoch()).toBe('{tp}:TICKPULSE:EPOCH');
    expect(keys.watermark('ingest')).toBe('{tp}:TICKPULSE:WATERMARK:ingest');
  });

  it('escapes glob characters of the prefix in the SCAN pattern', () => {
    expect(createKeys('a*[b]?:').stratUnivPattern()).toBe(
      'a\\*\\[b\\]\\?:STRAT:*:UNIV',
    );
  });

  it('parses the strategy id back from a universe key of its own prefix only', () => {
    const keys = createKeys('{tp}:');
    expect(keys.strategyIdOfUnivKey('{tp}:STRAT:123:UNIV')).toBe(123);
    expect(keys.strategyIdOfUnivKey('STRAT:123:UNIV')).toBeNull();
    expect(keys.strategyIdOfUnivKey('{tp}:STRAT:x:UNIV')).toBeNull();
    expect(keys.strategyIdOfUnivKey('{tp}:STRAT:1:UNIV:tmp:abc')).toBeNull();
  });

  it('rejects strategy ids the Go backend could never format', () => {
    const keys = createKeys();
    expect(() => keys.stratUniv(-1)).toThrow(RangeError);
    expect(() => keys.stratUniv(1.5)).toThrow(RangeError);
    expect(() => keys.stratLast(Number.NaN)).toThrow(RangeError);
  });
});
