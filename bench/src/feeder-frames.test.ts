import { generateFeed } from './feeder-frames.js';

// The Go backend's shouldUpdatePrice exclusions, spelled out independently
// of @tickpulse/polygon so the oracle is checked, not restated.
const EXCLUDED = new Set([2, 7, 13, 20, 21, 37, 52, 53]);

describe('feeder frames', () => {
  const startMs = 1_752_586_200_000;
  const feed = generateFeed({
    trades: 20_000,
    rate: 100_000,
    frameMax: 50,
    seed: 7,
    startMs,
  });

  it('carries exactly the requested trades in frames of 1..frameMax', () => {
    expect(feed.trades).toBe(20_000);
    expect(feed.counts.reduce((a, b) => a + b, 0)).toBe(20_000);
    expect(Math.max(...feed.counts)).toBeLessThanOrEqual(50);
    expect(Math.min(...feed.counts)).toBeGreaterThanOrEqual(1);
    // Sizes vary, as Polygon's batches do.
    expect(new Set(feed.counts).size).toBeGreaterThan(10);
    expect(feed.bytes).toBe(feed.frames.reduce((a, f) => a + f.length, 0));
  });

  it('computes the newest eligible time per ticker of what it sends', () => {
    const want = new Map<string, number>();
    let maxT = 0;
    feed.frames.forEach((f, k) => {
      const events = JSON.parse(f.toString()) as {
        ev: string;
        sym: string;
        t: number;
        c?: number[];
      }[];
      expect(events).toHaveLength(feed.counts[k]!);
      for (const e of events) {
        expect(e.ev).toBe('T');
        maxT = Math.max(maxT, e.t);
        if (e.c?.some(id => EXCLUDED.has(id))) continue;
        if (e.t > (want.get(e.sym) ?? -1)) want.set(e.sym, e.t);
      }
    });
    expect(feed.expected).toEqual(want);
    // Ineligible trades exist, so the oracle is not just "the last trade".
    expect(want.size).toBeGreaterThan(100);
    // No trade is stamped after the paced send time of the stream's end.
    expect(maxT).toBeLessThanOrEqual(startMs + (20_000 / 100_000) * 1000);
  });
});
