import { normalizeTimestamp, toMillis } from './timestamp';

const NOW = 1_752_586_200_412;

describe('toMillis', () => {
  it('keeps milliseconds as they are', () => {
    expect(toMillis(1_752_586_200_412)).toBe(1_752_586_200_412);
  });
  it('scales microseconds and nanoseconds by magnitude', () => {
    expect(toMillis(1_752_586_200_412_345)).toBe(1_752_586_200_412);
    expect(toMillis(1_752_586_200_412e6 + 345_678)).toBe(1_752_586_200_412);
  });
  it.each([0, -1, 1_752_586_200, 1e14, 1e17, 1e19, NaN, Infinity])(
    'rejects %p',
    t => {
      expect(toMillis(t)).toBeNaN();
    },
  );
});

describe('normalizeTimestamp', () => {
  const bounds = { futureToleranceMs: 5000, maxAgeMs: 3_600_000 };
  it('accepts times within the bounds', () => {
    expect(normalizeTimestamp(NOW, NOW, bounds)).toBe(NOW);
    expect(normalizeTimestamp(NOW + 5000, NOW, bounds)).toBe(NOW + 5000);
    expect(normalizeTimestamp(NOW - 3_600_000, NOW, bounds)).toBe(
      NOW - 3_600_000,
    );
    expect(normalizeTimestamp(NOW * 1e6, NOW, bounds)).toBe(NOW);
  });
  it('rejects each kind of impossible time with its reason', () => {
    expect(normalizeTimestamp(NOW + 5001, NOW, bounds)).toBe(
      'future_timestamp',
    );
    expect(normalizeTimestamp(NOW - 3_600_001, NOW, bounds)).toBe(
      'stale_timestamp',
    );
    expect(normalizeTimestamp(NOW / 1000, NOW, bounds)).toBe('bad_timestamp');
  });
  it('rejects a seconds value divided as if it were ns (the backend bug) as stale', () => {
    expect(normalizeTimestamp(1_000_000_000_000, NOW, bounds)).toBe(
      'stale_timestamp',
    );
  });
});
