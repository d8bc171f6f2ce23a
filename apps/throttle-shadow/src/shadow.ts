import {
  bucketStart,
  parseTimeframe,
  type Logger,
  type PlanStats,
  type ThrottlePlanner,
  type Timeframe,
} from '@tickpulse/shared';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  STRATEGY_CLASSES,
  strategyClass,
  type StrategyClass,
} from './strategy-class.js';
import type { ActiveStrategy, StrategySource } from './strategy-source.js';

/** Ticker-level outcome of one cycle for one class, both throttles. */
export interface ClassCycle {
  strategies: number;
  /** In-scope tickers over all strategies of the class. */
  slots: number;
  strategyEvaluations: number;
  tickerEvaluations: number;
}

/** What the last cycle saw; /readyz and the summary line read it. */
export interface CycleReport {
  atMs: number;
  ok: boolean;
  durationMs: number;
  strategies: number;
  byClass: Partial<Record<StrategyClass, ClassCycle>>;
}

export interface Shadow {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One cycle now (the loop calls this; tests call it directly). */
  runOnce(): Promise<CycleReport>;
  lastCycle(): CycleReport | null;
}

/** Counter names the 5-minute summary line reports. */
export const SHADOW_SUMMARY_COUNTERS = [
  'tickpulse_throttle_shadow_cycles_total',
  'tickpulse_throttle_shadow_ticker_evaluations_total',
  'tickpulse_throttle_shadow_ticker_skips_total',
  'tickpulse_throttle_shadow_strategy_runs_total',
  'tickpulse_throttle_shadow_strategy_skips_total',
  'tickpulse_throttle_shadow_errors_total',
] as const;

/**
 * The shadow comparison the original plan called for before switching the
 * alert loop to per-ticker throttling. Every `intervalMs` it reads the
 * active strategies, plans each in `preview` mode (nothing is written to
 * Redis) and counts, per strategy class and timeframe unit, what two
 * throttles would evaluate:
 *
 * - `strategy` — the old strategy-level throttle: a strategy runs once per
 *   bucket on its whole universe; later cycles of the same bucket skip it.
 * - `ticker` — the per-ticker throttle: only tickers updated since the
 *   bucket start and not yet evaluated in it. Because the shadow records
 *   nothing, it remembers in memory which tickers it would already have
 *   evaluated in the current bucket (as `recordEvaluated` would), on top of
 *   whatever the live alert loop recorded in STRAT:<id>:LAST.
 *
 * A ticker "slot" is one in-scope ticker of one strategy in one cycle
 * (universe size, or every ticker in TICK:UPD for a global strategy);
 * skip ratio = skips / slots.
 */
export function createShadow(deps: {
  planner: ThrottlePlanner;
  source: StrategySource;
  registry: Registry;
  logger: Logger;
  intervalMs: number;
  now?: () => number;
}): Shadow {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'shadow' });
  const registers = [deps.registry];
  const labelNames = ['class', 'unit', 'throttle'] as const;

  const cycles = new Counter({
    name: 'tickpulse_throttle_shadow_cycles_total',
    help: 'Shadow cycles run, by outcome (ok: every strategy planned; failed: the strategy list could not be read)',
    labelNames: ['outcome'],
    registers,
  });
  const cycleDuration = new Histogram({
    name: 'tickpulse_throttle_shadow_cycle_duration_seconds',
    help: 'Time to read the active strategies and plan every one of them',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const strategyRuns = new Counter({
    name: 'tickpulse_throttle_shadow_strategy_runs_total',
    help: 'Strategy evaluations each throttle would start (ticker throttle: at least one ticker due)',
    labelNames,
    registers,
  });
  const strategySkips = new Counter({
    name: 'tickpulse_throttle_shadow_strategy_skips_total',
    help: 'Strategy evaluations each throttle would skip in a cycle',
    labelNames,
    registers,
  });
  const tickerEvals = new Counter({
    name: 'tickpulse_throttle_shadow_ticker_evaluations_total',
    help: 'In-scope tickers each throttle would evaluate (strategy throttle: the whole universe when the strategy runs)',
    labelNames,
    registers,
  });
  const tickerSkips = new Counter({
    name: 'tickpulse_throttle_shadow_ticker_skips_total',
    help: 'In-scope tickers each throttle would not evaluate; skip ratio = rate(skips) / (rate(skips) + rate(evaluations))',
    labelNames,
    registers,
  });
  const skipReasons = new Counter({
    name: 'tickpulse_throttle_shadow_ticker_skip_reasons_total',
    help: 'Why the ticker throttle skips in-scope tickers: not_updated since the bucket start, already_evaluated in it, claimed by a live evaluator',
    labelNames: ['class', 'reason'],
    registers,
  });
  const skipRatio = new Gauge({
    name: 'tickpulse_throttle_shadow_ticker_skip_ratio',
    help: 'Fraction of in-scope tickers each throttle skipped in the last cycle (0–1), per strategy class',
    labelNames: ['class', 'throttle'],
    registers,
  });
  const strategiesGauge = new Gauge({
    name: 'tickpulse_throttle_shadow_strategies',
    help: 'Active strategies in the last cycle, per class',
    labelNames: ['class'],
    registers,
  });
  const errors = new Counter({
    name: 'tickpulse_throttle_shadow_errors_total',
    help: 'Shadow failures, by reason (strategies_failed, plan_failed, invalid_timeframe)',
    labelNames: ['reason'],
    registers,
  });
  const lastCycleTs = new Gauge({
    name: 'tickpulse_throttle_shadow_last_cycle_timestamp_seconds',
    help: 'Unix time of the last successful shadow cycle',
    registers,
  });

  /** Old throttle: the bucket each strategy last ran in. */
  const oldLastBucket = new Map<number, number>();
  /** Ticker throttle: tickers the shadow would have recorded in the current bucket. */
  const evaluated = new Map<number, { bucket: number; tickers: Set<string> }>();
  const timeframes = new Map<string, Timeframe | null>();

  let last: CycleReport | null = null;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<CycleReport> | undefined;
  let running = false;
  let stopping: Promise<void> | undefined;

  const parseCached = (tf: string): Timeframe | null => {
    if (!timeframes.has(tf)) {
      try {
        timeframes.set(tf, parseTimeframe(tf));
      } catch {
        timeframes.set(tf, null);
      }
    }
    return timeframes.get(tf) ?? null;
  };

  const planOne = async (
    s: ActiveStrategy,
    atMs: number,
    byClass: Partial<Record<StrategyClass, ClassCycle>>,
  ) => {
    const cls = strategyClass(s);
    const agg = (byClass[cls] ??= {
      strategies: 0,
      slots: 0,
      strategyEvaluations: 0,
      tickerEvaluations: 0,
    });
    agg.strategies++;
    const tf = parseCached(s.timeframe);
    if (!tf) {
      // The Go loop skips such a strategy (skipped_no_update); so would both throttles.
      errors.inc({ reason: 'invalid_timeframe' });
      log.warn(
        { strategyId: s.id, timeframe: s.timeframe },
        'invalid min_timeframe; strategy skipped',
      );
      return;
    }
    const bucket = bucketStart(atMs, tf);
    let plan: { tickers: string[]; stats: PlanStats };
    try {
      plan = await deps.planner.plan({ id: s.id, global: s.global }, bucket, {
        mode: 'preview',
      });
    } catch (err) {
      errors.inc({ reason: 'plan_failed' });
      log.warn(
        { err, strategyId: s.id },
        'plan failed; strategy left out of this cycle',
      );
      return;
    }
    const labels = { class: cls, unit: tf.unit };
    const slots = plan.stats.universe;
    agg.slots += slots;

    // Old throttle: once per bucket, whole universe.
    const oldRuns = oldLastBucket.get(s.id) !== bucket;
    oldLastBucket.set(s.id, bucket);
    const old = { ...labels, throttle: 'strategy' };
    if (oldRuns) {
      strategyRuns.inc(old);
      tickerEvals.inc(old, slots);
      agg.strategyEvaluations += slots;
    } else {
      strategySkips.inc(old);
      tickerSkips.inc(old, slots);
    }

    // Ticker throttle, with the shadow's own would-be records.
    let mem = evaluated.get(s.id);
    if (!mem || mem.bucket !== bucket) {
      mem = { bucket, tickers: new Set() };
      evaluated.set(s.id, mem);
    }
    const due = plan.tickers.filter(t => !mem.tickers.has(t));
    for (const t of due) mem.tickers.add(t);
    const perTicker = { ...labels, throttle: 'ticker' };
    if (due.length > 0) strategyRuns.inc(perTicker);
    else strategySkips.inc(perTicker);
    tickerEvals.inc(perTicker, due.length);
    tickerSkips.inc(perTicker, Math.max(slots - due.length, 0));
    agg.tickerEvaluations += due.length;
    skipReasons.inc(
      { class: cls, reason: 'not_updated' },
      Math.max(slots - plan.stats.updated, 0),
    );
    skipReasons.inc(
      { class: cls, reason: 'already_evaluated' },
      plan.stats.alreadyEvaluated + (plan.tickers.length - due.length),
    );
    skipReasons.inc(
      { class: cls, reason: 'claimed' },
      plan.stats.claimedElsewhere,
    );
  };

  const cycle = async (): Promise<CycleReport> => {
    const started = now();
    const endTimer = cycleDuration.startTimer();
    let strategies: ActiveStrategy[];
    try {
      strategies = await deps.source.listActive();
    } catch (err) {
      endTimer();
      cycles.inc({ outcome: 'failed' });
      errors.inc({ reason: 'strategies_failed' });
      log.warn({ err }, 'could not read active strategies; cycle skipped');
      last = {
        atMs: started,
        ok: false,
        durationMs: now() - started,
        strategies: 0,
        byClass: {},
      };
      return last;
    }
    const byClass: Partial<Record<StrategyClass, ClassCycle>> = {};
    for (const s of strategies) await planOne(s, started, byClass);

    // Forget strategies that are no longer active (their ids never return: edits get new ids).
    const active = new Set(strategies.map(s => s.id));
    for (const id of oldLastBucket.keys())
      if (!active.has(id)) oldLastBucket.delete(id);
    for (const id of evaluated.keys())
      if (!active.has(id)) evaluated.delete(id);

    skipRatio.reset();
    strategiesGauge.reset();
    for (const cls of STRATEGY_CLASSES) {
      const c = byClass[cls];
      strategiesGauge.set({ class: cls }, c?.strategies ?? 0);
      if (!c || c.slots === 0) continue;
      skipRatio.set(
        { class: cls, throttle: 'strategy' },
        1 - c.strategyEvaluations / c.slots,
      );
      skipRatio.set(
        { class: cls, throttle: 'ticker' },
        1 - c.tickerEvaluations / c.slots,
      );
    }
    endTimer();
    cycles.inc({ outcome: 'ok' });
    lastCycleTs.set(started / 1000);
    last = {
      atMs: started,
      ok: true,
      durationMs: now() - started,
      strategies: strategies.length,
      byClass,
    };
    log.debug({ strategies: strategies.length, byClass }, 'shadow cycle');
    return last;
  };

  const runOnce = () => {
    inFlight = cycle().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const schedule = () => {
    if (!running) return;
    timer = setTimeout(() => {
      void runOnce().finally(schedule);
    }, deps.intervalMs);
  };

  return {
    async start() {
      if (running) return;
      running = true;
      log.info({ intervalMs: deps.intervalMs }, 'shadow comparison started');
      void runOnce().finally(schedule);
    },
    stop() {
      stopping ??= (async () => {
        running = false;
        if (timer) clearTimeout(timer);
        await inFlight?.catch(() => undefined);
        log.info('shadow comparison stopped');
      })();
      return stopping;
    },
    runOnce,
    lastCycle: () => last,
  };
}
