import {
  totalsOf,
  type StrategyTally,
  type ThrottleReport,
} from './throttle-models.js';

/** How often a checkpoint is kept, and for how long at each spacing. */
export const CHECKPOINT_EVERY_MS = 5 * 60_000;
const FINE_FOR_MS = 3_600_000;
const HOURLY_FOR_MS = 25 * 3_600_000;

/** The nine counters of a strategy, in a fixed order (see `pack`). */
const FIELDS = 9;

/**
 * The cumulative report at one cycle, packed: a checkpoint of 10 000
 * strategies is ~0.8 MB, and at most 37 are kept.
 */
interface Checkpoint {
  atMs: number;
  cycles: number;
  index: Map<number, number>;
  values: Float64Array;
}

function pack(t: StrategyTally, into: Float64Array, at: number): void {
  into.set(
    [
      t.legacy.runs,
      t.legacy.evaluations,
      t.goPerTicker.runs,
      t.goPerTicker.evaluations,
      t.goPerTicker.lateUpdates,
      t.goPerTicker.unfilteredRuns,
      t.lossless.runs,
      t.lossless.evaluations,
      t.lossless.lateUpdates,
    ],
    at,
  );
}

/** `t` minus the packed values at `at` (a strategy new since then: minus 0). */
function minus(
  t: StrategyTally,
  v: Float64Array | null,
  at = 0,
): StrategyTally {
  const b = (i: number) => (v ? v[at + i]! : 0);
  return {
    id: t.id,
    goPath: t.goPath,
    legacy: {
      runs: t.legacy.runs - b(0),
      evaluations: t.legacy.evaluations - b(1),
    },
    goPerTicker: {
      runs: t.goPerTicker.runs - b(2),
      evaluations: t.goPerTicker.evaluations - b(3),
      lateUpdates: t.goPerTicker.lateUpdates - b(4),
      unfilteredRuns: t.goPerTicker.unfilteredRuns - b(5),
    },
    lossless: {
      runs: t.lossless.runs - b(6),
      evaluations: t.lossless.evaluations - b(7),
      lateUpdates: t.lossless.lateUpdates - b(8),
    },
  };
}

/** The report over a recent window, from checkpoints of the cumulative one. */
export interface ReportWindows {
  /** Called with the cumulative report after every cycle. */
  observe(report: ThrottleReport): void;
  /**
   * The figures of the cycles after the newest checkpoint at least
   * `sinceMs` old: the window is `sinceMs` or up to 5 minutes more within
   * the last hour, up to an hour more within the last day, and `window.from`
   * says where it starts. The whole run when there is no such checkpoint,
   * or `sinceMs` is undefined.
   */
  since(current: ThrottleReport, sinceMs?: number): ThrottleReport;
}

/**
 * Checkpoints every 5 minutes for the last hour and hourly for a day
 * (about 37), so `throttle-report --since 1h` costs no per-cycle history.
 */
export function createReportWindows(): ReportWindows {
  let checkpoints: Checkpoint[] = [];

  const prune = (nowMs: number) => {
    const hours = new Set<number>();
    // Within the hour keep all; older, the first of each hour, so a window
    // reaching back there starts at most an hour before it was asked to.
    checkpoints = checkpoints.filter(c => {
      const age = nowMs - c.atMs;
      if (age <= FINE_FOR_MS) return true;
      if (age > HOURLY_FOR_MS) return false;
      const hour = Math.floor(c.atMs / 3_600_000);
      if (hours.has(hour)) return false;
      hours.add(hour);
      return true;
    });
  };

  return {
    observe(report) {
      const last = checkpoints[checkpoints.length - 1];
      if (last && report.window.to - last.atMs < CHECKPOINT_EVERY_MS) return;
      const index = new Map<number, number>();
      const values = new Float64Array(report.strategies.length * FIELDS);
      report.strategies.forEach((t, i) => {
        index.set(t.id, i * FIELDS);
        pack(t, values, i * FIELDS);
      });
      checkpoints.push({
        atMs: report.window.to,
        cycles: report.window.cycles,
        index,
        values,
      });
      prune(report.window.to);
    },

    since(current, sinceMs) {
      if (sinceMs === undefined) return current;
      const cutoff = current.window.to - sinceMs;
      let base: Checkpoint | undefined;
      for (const c of checkpoints) if (c.atMs <= cutoff) base = c;
      if (!base) return current;
      const strategies = current.strategies.map(t => {
        const at = base.index.get(t.id);
        return minus(t, at === undefined ? null : base.values, at);
      });
      return {
        window: {
          from: base.atMs,
          to: current.window.to,
          cycles: current.window.cycles - base.cycles,
        },
        totals: totalsOf(strategies),
        strategies,
      };
    },
  };
}
