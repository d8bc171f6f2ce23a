import { createKeys, hashTag, sameSlot } from './keys';

describe('Redis key schema', () => {
  it('produces byte-identical keys to the existing Go backend with the default prefix', () => {
    const keys = createKeys();
    expect(keys.tickUpd()).toBe('TICK:UPD');
    expect(keys.stratUniv(42)).toBe('STRAT:42:UNIV');
    expect(keys.stratLast(42)).toBe('STRAT:42:LAST');
    expect(keys.stratUnivPattern()).toBe('STRAT:*:UNIV');
    expect(keys.lease('ingest')).toBe('TICKPULSE:LEASE:ingest');
    expect(keys.watermark('ingest')).toBe('TICKPULSE:WATERMARK:ingest');
    expect(keys.stratClaim(42)).toBe('{STRAT:42:LAST}:CLAIM');
    expect(keys.stratSeen(42)).toBe('{STRAT:42:LAST}:SEEN');
    expect(keys.stratTriggered(42)).toBe('{STRAT:42:LAST}:TRIG');
    expect(keys.dataEpoch()).toBe('TICKPULSE:EPOCH');
    expect(keys.dataEpochShard(3)).toBe('TICKPULSE:EPOCH:{3}');
  });

  it('prepends a namespace prefix to every key', () => {
    const keys = createKeys('{tp}:');
    expect(keys.tickUpd()).toBe('{tp}:TICK:UPD');
    expect(keys.stratUniv(7)).toBe('{tp}:STRAT:7:UNIV');
    expect(keys.stratLast(7)).toBe('{tp}:STRAT:7:LAST');
    expect(keys.stratClaim(7)).toBe('{tp}:STRAT:7:LAST:CLAIM');
    expect(keys.stratSeen(7)).toBe('{tp}:STRAT:7:LAST:SEEN');
    expect(keys.stratTriggered(7)).toBe('{tp}:STRAT:7:LAST:TRIG');
    expect(keys.dataEpoch()).toBe('{tp}:TICKPULSE:EPOCH');
    expect(keys.watermark('ingest')).toBe('{tp}:TICKPULSE:WATERMARK:ingest');
  });

  it('puts helper keys in their target key slot, the whole name as hash tag', () => {
    const keys = createKeys();
    expect(keys.scratch(keys.stratUniv(5), 'u1')).toBe('{STRAT:5:UNIV}:tmp:u1');
    expect(hashTag(keys.scratch(keys.stratUniv(5), 'u1'))).toBe(
      keys.stratUniv(5),
    );
    expect(hashTag(keys.stratClaim(5))).toBe(keys.stratLast(5));
    expect(hashTag(keys.stratSeen(5))).toBe(keys.stratLast(5));
    expect(hashTag(keys.stratTriggered(5))).toBe(keys.stratLast(5));
    expect(keys.stratEvaluation(5)).toEqual([
      keys.stratLast(5),
      keys.stratClaim(5),
      keys.stratSeen(5),
      keys.stratTriggered(5),
    ]);
    // A key that already has a tag keeps it, so the slot stays the same.
    expect(createKeys('{tp}:').scratch('{tp}:STRAT:5:UNIV', 'u1')).toBe(
      '{tp}:STRAT:5:UNIV:tmp:u1',
    );
    expect(hashTag('a{}b')).toBeNull();
    expect(hashTag('{x}{y}')).toBe('x');
    expect(() => sameSlot('a}b', 'tmp')).toThrow(RangeError);
  });

  it('keeps scratch and claim keys out of the universe SCAN', () => {
    const keys = createKeys();
    expect(
      keys.strategyIdOfUnivKey(keys.scratch(keys.stratUniv(5), 'u1')),
    ).toBeNull();
    expect(keys.strategyIdOfUnivKey(keys.stratClaim(5))).toBeNull();
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
