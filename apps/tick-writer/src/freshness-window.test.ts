import { createFreshnessWindow, quantile } from './freshness-window';

describe('quantile', () => {
  it('uses the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => (i + 1) / 1000);
    expect(quantile(xs, 0.5)).toBe(0.05);
    expect(quantile(xs, 0.99)).toBe(0.099);
    expect(quantile(xs, 1)).toBe(0.1);
    expect(quantile([0.2], 0.99)).toBe(0.2);
    expect(quantile([], 0.5)).toBeNull();
  });
});

describe('freshness window', () => {
  it('reports the window and starts a new one', () => {
    const w = createFreshnessWindow();
    for (const s of [0.3, 0.1, 0.2, 5]) w.add(s);
    expect(w.take()).toEqual({ batches: 4, p50S: 0.2, p99S: 5, maxS: 5 });
    expect(w.take()).toEqual({
      batches: 0,
      p50S: null,
      p99S: null,
      maxS: null,
    });
  });

  it('keeps memory bounded and the percentiles representative past capacity', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const w = createFreshnessWindow(500, random);
    // 100 000 batches, uniform 0..1 s: p50 ≈ 0.5, p99 ≈ 0.99.
    for (let i = 0; i < 100_000; i++) w.add(((i * 7919) % 100_000) / 100_000);
    const s = w.take();
    expect(s.batches).toBe(100_000);
    expect(s.maxS).toBeCloseTo(0.99999, 4);
    expect(s.p50S).toBeGreaterThan(0.4);
    expect(s.p50S).toBeLessThan(0.6);
    expect(s.p99S).toBeGreaterThan(0.95);
  });
});
