import {
  bucketStart,
  parseTimeframe,
  type GoPath,
  type GoPerTickerTally,
  type PerTickerTally,
  type RunTally,
  type StrategyTally,
  type ThrottleReport,
  type Timeframe,
} from '@tickpulse/throttle';

export type {
  GoPath,
  GoPerTickerTally,
  PerTickerTally,
  RunTally,
  StrategyTally,
  ThrottleReport,
};

/** A strategy as the Go loop reads it, plus the set universe-sync keeps for it. */
export interface ModelStrategy {
  id: number;
  /** `COALESCE(alert_universe, '{}')`, the user-typed symbols. */
  alertUniverse: readonly string[];
  /** Members of `STRAT:<id>:UNIV` (from `alert_universe_full`); empty when there is no set. */
  universeSet: readonly string[];
  /** `COALESCE(min_timeframe, '1d')`. */
  timeframe: string;
  /**
   * `alert_last_trigger_at` (Unix ms), null if never. The models move their
   * own copy when a run matches; a newer value here (the live Go loop's
   * trigger) moves it too.
   */
  lastTriggerMs: number | null;
}

/** What one cycle of the alert loop sees. */
export interface ModelCycle {
  /** When the cycle runs (Unix ms). */
  atMs: number;
  /** `TICK:UPD` then: the newest eligible trade time per ticker (the market). */
  tickUpd: ReadonlyMap<string, number>;
}

/**
 * Whether evaluating `ticker` for the strategy at `atMs` matches (an alert).
 * The model test scripts it; the live shadow cannot know it (see the README).
 */
export type Matcher = (
  strategyId: number,
  ticker: string,
  atMs: number,
) => boolean;

/** Which path Go takes for `s` (see `GoPath`); `tf` is its parsed timeframe, null when invalid. */
export function goPathOf(s: ModelStrategy, tf: Timeframe | null): GoPath {
  if (!tf) return 'invalid-timeframe';
  if (s.alertUniverse.length === 0) return 'global';
  if (s.universeSet.length === 0) return 'disabled';
  return 'per-ticker';
}

/** The parsed timeframe, or null where the Go loop fails to compute a bucket. */
export function timeframeOrNull(tf: string): Timeframe | null {
  try {
    return parseTimeframe(tf);
  } catch {
    return null;
  }
}

/** The last evaluation of one ticker: its bucket and the trade time it covered. */
interface Evaluation {
  bucket: number;
  seenMs: number;
  matched: boolean;
  /** A late update of this (ticker, bucket) was counted already. */
  late: boolean;
}

/**
 * Counts a late update for each ticker of `scope` whose newest trade is
 * after its last evaluation, in that evaluation's bucket, and that this
 * cycle does not evaluate: once per (ticker, bucket).
 */
function countLate(
  scope: Iterable<string>,
  evals: Map<string, Evaluation>,
  tickUpd: ReadonlyMap<string, number>,
  bucketOf: (ms: number) => number,
  evaluatedNow: ReadonlySet<string>,
): number {
  let late = 0;
  for (const t of scope) {
    const e = evals.get(t);
    const u = tickUpd.get(t);
    if (!e || e.late || e.matched || u === undefined || u <= e.seenMs) continue;
    if (evaluatedNow.has(t) || bucketOf(u) !== e.bucket) continue;
    e.late = true;
    late++;
  }
  return late;
}

/** The three models of one strategy, advanced cycle by cycle. */
interface StrategyModels {
  readonly tally: StrategyTally;
  step(cycle: ModelCycle, row: ModelStrategy, matches: Matcher): void;
}

function createStrategyModels(s: ModelStrategy): StrategyModels {
  const tf = timeframeOrNull(s.timeframe);
  const path = goPathOf(s, tf);
  const bucketOf = (ms: number) => (tf ? bucketStart(ms, tf) : ms);
  const tally = emptyTally(s.id, path);
  // Each model is its own world: its own alert_last_trigger_at, LAST, evaluations.
  let legacyTrigger = s.lastTriggerMs;
  let goTrigger = s.lastTriggerMs;
  const goLast = new Map<string, number>();
  const goEvals = new Map<string, Evaluation>();
  const losslessEvals = new Map<string, Evaluation>();
  const losslessTriggered = new Map<string, number>();
  let losslessSince: number | undefined;

  /** Legacy and Go's global path: skipped only when the last trigger is in the current bucket. */
  const strategyLevelSkips = (trigger: number | null, atMs: number) =>
    tf !== null && trigger !== null && bucketOf(trigger) === bucketOf(atMs);

  const anyMatch = (tickers: Iterable<string>, atMs: number, m: Matcher) => {
    for (const t of tickers) if (m(s.id, t, atMs)) return true;
    return false;
  };

  const legacyStep = ({ atMs, tickUpd }: ModelCycle, m: Matcher) => {
    if (strategyLevelSkips(legacyTrigger, atMs)) return;
    // The typed symbols, or the whole market when none were typed.
    const scope = s.alertUniverse.length > 0 ? s.alertUniverse : tickUpd.keys();
    const list = [...scope];
    tally.legacy.runs++;
    tally.legacy.evaluations += list.length;
    if (anyMatch(list, atMs, m)) legacyTrigger = atMs;
  };

  const goStep = ({ atMs, tickUpd }: ModelCycle, m: Matcher) => {
    const go = tally.goPerTicker;
    if (path === 'invalid-timeframe' || path === 'disabled') return;
    if (path === 'global') {
      if (strategyLevelSkips(goTrigger, atMs)) return;
      go.runs++;
      go.unfilteredRuns++;
      go.evaluations += tickUpd.size;
      if (anyMatch(tickUpd.keys(), atMs, m)) goTrigger = atMs;
      return;
    }
    const bucket = bucketOf(atMs);
    const due = new Set<string>();
    for (const t of s.universeSet) {
      const u = tickUpd.get(t);
      if (u !== undefined && u >= bucket && goLast.get(t) !== bucket)
        due.add(t);
    }
    go.lateUpdates += countLate(s.universeSet, goEvals, tickUpd, bucketOf, due);
    if (due.size === 0) return;
    go.runs++;
    go.evaluations += due.size;
    // LAST means "evaluated in this bucket", matched or not.
    for (const t of due) {
      goLast.set(t, bucket);
      const matched = m(s.id, t, atMs);
      goEvals.set(t, { bucket, seenMs: tickUpd.get(t)!, matched, late: false });
    }
  };

  /**
   * Lossless scope, as the planner is called: the set, else the market (a
   * strategy without a set is planned as global, so none is disabled).
   */
  const losslessScope = (tickUpd: ReadonlyMap<string, number>) =>
    s.universeSet.length > 0 ? s.universeSet : [...tickUpd.keys()];

  const losslessStep = ({ atMs, tickUpd }: ModelCycle, m: Matcher) => {
    const bucket = bucketOf(atMs);
    // Trades before the model's first bucket are history, not work.
    losslessSince ??= bucket;
    const scope = losslessScope(tickUpd);
    const due = new Set<string>();
    for (const t of scope) {
      const u = tickUpd.get(t);
      if (u === undefined) continue;
      const covered = losslessEvals.get(t)?.seenMs ?? losslessSince - 1;
      if (u > covered && losslessTriggered.get(t) !== bucket) due.add(t);
    }
    const ll = tally.lossless;
    ll.lateUpdates += countLate(scope, losslessEvals, tickUpd, bucketOf, due);
    if (due.size === 0) return;
    ll.runs++;
    ll.evaluations += due.size;
    for (const t of due) {
      const u = tickUpd.get(t)!;
      const matched = m(s.id, t, atMs);
      if (matched && tf) losslessTriggered.set(t, bucket);
      losslessEvals.set(t, {
        bucket: bucketOf(u),
        seenMs: u,
        matched,
        late: false,
      });
    }
  };

  const later = (a: number | null, b: number | null) =>
    a === null ? b : b === null ? a : Math.max(a, b);

  return {
    tally,
    step(cycle, row, matches) {
      legacyTrigger = later(legacyTrigger, row.lastTriggerMs);
      goTrigger = later(goTrigger, row.lastTriggerMs);
      legacyStep(cycle, matches);
      goStep(cycle, matches);
      losslessStep(cycle, matches);
    },
  };
}

function emptyTally(id: number, goPath: GoPath = 'per-ticker'): StrategyTally {
  return {
    id,
    goPath,
    legacy: { runs: 0, evaluations: 0 },
    goPerTicker: { runs: 0, evaluations: 0, lateUpdates: 0, unfilteredRuns: 0 },
    lossless: { runs: 0, evaluations: 0, lateUpdates: 0 },
  };
}

/** Two tallies added up (a strategy retired and seen again; the totals). */
function addTallies(a: StrategyTally, b: StrategyTally): StrategyTally {
  const add = <T extends RunTally>(x: T, y: T): T => {
    const out = { ...x };
    const o = out as unknown as Record<string, number>;
    for (const [k, v] of Object.entries(y)) o[k] = (o[k] ?? 0) + (v as number);
    return out;
  };
  return {
    id: b.id,
    goPath: b.goPath,
    legacy: add(a.legacy, b.legacy),
    goPerTicker: add(a.goPerTicker, b.goPerTicker),
    lossless: add(a.lossless, b.lossless),
  };
}

/** The three models' figures summed over `strategies`. */
export function totalsOf(
  strategies: readonly StrategyTally[],
): ThrottleReport['totals'] {
  const t = strategies.reduce(addTallies, emptyTally(0));
  return { legacy: t.legacy, goPerTicker: t.goPerTicker, lossless: t.lossless };
}

/** Runs the three models over a window of cycles. */
export interface ThrottleModels {
  /** One alert-loop cycle over `strategies` (a strategy seen for the first time starts from its row). */
  step(
    cycle: ModelCycle,
    strategies: readonly ModelStrategy[],
    matches: Matcher,
  ): void;
  /**
   * Drops the state of every strategy not in `active`; its figures stay in
   * the report (added to a later model of the same id, should it return).
   */
  retire(active: { has(id: number): boolean }): void;
  report(): ThrottleReport;
}

/**
 * The three throttles side by side, for the question "should I turn
 * per-ticker throttling on?":
 *
 * - **legacy** (`processStrategyAlertsLegacy`): every cycle each strategy
 *   runs on its typed symbols (or the whole market) unless
 *   `alert_last_trigger_at` — moved only by a run that matched — is in the
 *   current bucket; an invalid timeframe runs every cycle, unthrottled. A
 *   strategy that never matches runs every cycle, not once per bucket.
 * - **goPerTicker** (`processStrategyAlertsPerTicker`, see `GoPath`): a
 *   ticker is evaluated at most once per bucket, at the first cycle after
 *   its first trade in it, whether it matched or not.
 * - **lossless** (the planner's `throttle: "lossless"`): a ticker is due
 *   whenever it has an eligible trade newer than its last evaluation, until
 *   it matches in the bucket; so it has no late updates. A strategy without
 *   a set is planned over the market.
 *
 * Buckets are tickpulse's `bucketStart` (`packages/throttle/BUCKETS.md` lists
 * the timeframes where Go's differ, e.g. `7m`, multi-day during EDT).
 */
export function createThrottleModels(): ThrottleModels {
  const models = new Map<number, StrategyModels>();
  const retired = new Map<number, StrategyTally>();
  let from: number | undefined;
  let to = 0;
  let cycles = 0;
  return {
    step(cycle, strategies, matches) {
      from ??= cycle.atMs;
      to = cycle.atMs;
      cycles++;
      for (const s of strategies) {
        let m = models.get(s.id);
        if (!m) models.set(s.id, (m = createStrategyModels(s)));
        m.step(cycle, s, matches);
      }
    },
    retire(active) {
      for (const [id, m] of models) {
        if (active.has(id)) continue;
        const before = retired.get(id);
        retired.set(id, before ? addTallies(before, m.tally) : m.tally);
        models.delete(id);
      }
    },
    report() {
      const byId = new Map(retired);
      for (const [id, m] of models) {
        const before = byId.get(id);
        byId.set(id, before ? addTallies(before, m.tally) : m.tally);
      }
      const strategies = [...byId.values()].sort((a, b) => a.id - b.id);
      return {
        window: { from: from ?? 0, to, cycles },
        totals: totalsOf(strategies),
        strategies,
      };
    },
  };
}
