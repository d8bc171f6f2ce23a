import { createReportWindows } from './report-window';
import type { StrategyTally, ThrottleReport } from './throttle-models';

const T0 = Date.parse('2025-07-15T13:00:00Z');
const MIN = 60_000;

/** Strategy 1 runs every cycle under every model; strategy 2 from 2 h on. */
function cumulative(k: number): ThrottleReport {
  const tally = (id: number, n: number): StrategyTally => ({
    id,
    goPath: 'per-ticker',
    legacy: { runs: n, evaluations: 3 * n },
    goPerTicker: { runs: n, evaluations: n, lateUpdates: n, unfilteredRuns: 0 },
    lossless: { runs: n, evaluations: 2 * n, lateUpdates: 0 },
  });
  const second = k - 720 + 1; // from cycle 720 (2 h)
  const strategies = [tally(1, k + 1)];
  if (second > 0) strategies.push(tally(2, second));
  return {
    window: { from: T0, to: T0 + k * 10_000, cycles: k + 1 },
    totals: {
      legacy: { runs: 0, evaluations: 0 },
      goPerTicker: {
        runs: 0,
        evaluations: 0,
        lateUpdates: 0,
        unfilteredRuns: 0,
      },
      lossless: { runs: 0, evaluations: 0, lateUpdates: 0 },
    },
    strategies,
  };
}

describe('report windows', () => {
  const windows = createReportWindows();
  const K = 3 * 360; // three hours of 10 s cycles
  for (let k = 0; k < K; k++) windows.observe(cumulative(k));
  const now = cumulative(K - 1);
  const to = now.window.to; // 13:00 + 3 h − 10 s

  it('gives the whole run without --since', () => {
    expect(windows.since(now)).toBe(now);
  });

  it('subtracts the newest checkpoint at least that old, within the hour every 5 minutes', () => {
    const w = windows.since(now, 60 * MIN);
    // Checkpoints at 13:00, 13:05, …: the newest at or before 14:59:50 is 14:55.
    expect(w.window).toEqual({ from: T0 + 115 * MIN, to, cycles: 389 });
    expect(w.strategies[0]!.legacy).toEqual({ runs: 389, evaluations: 1167 });
    // Strategy 2 started at 15:00, after the checkpoint: all of it counts.
    expect(w.strategies[1]!.lossless).toEqual({
      runs: 360,
      evaluations: 720,
      lateUpdates: 0,
    });
    expect(w.totals.goPerTicker).toEqual({
      runs: 749,
      evaluations: 749,
      lateUpdates: 749,
      unfilteredRuns: 0,
    });
  });

  it('keeps the first checkpoint of each older hour', () => {
    // Asked from 13:29:50: the hourly checkpoint at 13:00 (the run's start) …
    expect(windows.since(now, 150 * MIN).window.from).toBe(T0);
    // … and from 14:29:50 the one at 14:00: about 37 checkpoints, not 36 per hour.
    const w = windows.since(now, 90 * MIN);
    expect(w.window.from).toBe(T0 + 60 * MIN);
    // The 14:00 cycle is in the checkpoint; the window holds the ones after it.
    expect(w.strategies[0]!.legacy.runs).toBe(K - 361);
  });

  it('gives the whole run when no checkpoint is old enough', () => {
    expect(windows.since(now, 4 * 60 * MIN)).toBe(now);
  });
});
