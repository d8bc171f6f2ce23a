import { seededRandom } from './index';

describe('seededRandom', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const first = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(first);
    expect(Array.from({ length: 100 }, () => c())).not.toEqual(first);
  });

  it('stays in [0, 1) and spreads over it', () => {
    const r = seededRandom(1);
    const xs = Array.from({ length: 10_000 }, () => r());
    expect(xs.every(x => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });

  // Recorded simulator streams and seeded test cases depend on the exact
  // sequence: changing the algorithm must be a deliberate, visible change.
  it('is mulberry32: the first outputs for seed 1 are pinned', () => {
    const r = seededRandom(1);
    expect([r(), r(), r()].map(x => Math.floor(x * 2 ** 32))).toEqual(
      PINNED_SEED_1,
    );
  });
});

const PINNED_SEED_1 = [2693262067, 11749833, 2265367787];
