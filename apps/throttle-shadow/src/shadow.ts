import { echoValue, type RedisKeys } from '@tickpulse/contracts';
import { type RedisClient } from '@tickpulse/redis';
import { type Logger } from '@tickpulse/service-kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createReportWindows } from './report-window.js';
import { strategyClass, type StrategyClass } from './strategy-class.js';
import type { ActiveStrategy, StrategySource } from './strategy-source.js';
import {
  createThrottleModels,
  goPathOf,
  timeframeOrNull,
  type GoPath,
  type StrategyTally,
  type ThrottleReport,
} from './throttle-models.js';

/**
 * How far back the shadow reads `TICK:UPD` each cycle: the market a global
 * run evaluates, and every trade a bucket of a week or less can hold.
 * (Quarter and year buckets reach further back; only a ticker that last
 * traded over a week ago is then left out, at most once per bucket.)
 */
export const MARKET_WINDOW_MS = 7 * 24 * 3_600_000;

/** What the last cycle saw; /readyz and the summary line read it. */
export interface CycleReport {
  atMs: number;
  ok: boolean;
  durationMs: number;
  strategies: number;
  /** Strategies per Go path; `disabled` ones never run with per-ticker on. */
  goPaths: Partial<Record<GoPath, number>>;
}

export interface Shadow {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One cycle now (the loop calls this; tests call it directly). */
  runOnce(): Promise<CycleReport>;
  lastCycle(): CycleReport | null;
  /**
   * The three models' figures since the shadow started, or over about the
   * last `sinceMs` (see `ReportWindows.since`; `window` says which).
   */
  report(sinceMs?: number): ThrottleReport;
}

/** Counter names the 5-minute summary line reports. */
export const SHADOW_SUMMARY_COUNTERS = [
  'tickpulse_throttle_shadow_cycles_total',
  'tickpulse_throttle_shadow_strategy_runs_total',
  'tickpulse_throttle_shadow_ticker_evaluations_total',
  'tickpulse_throttle_shadow_late_updates_total',
  'tickpulse_throttle_shadow_errors_total',
] as const;

/** The metric label of each model. */
const MODELS = {
  legacy: 'legacy',
  goPerTicker: 'go_per_ticker',
  lossless: 'lossless',
} as const;

/** The live shadow cannot see which evaluations would match (see the README). */
const NEVER_MATCHES = () => false;

/**
 * The evidence for "should per-ticker throttling be on?": every
 * `intervalMs` (Go's cycle) it reads the alert-active strategies with the
 * columns the Go loop reads and `TICK:UPD`, and advances the three models
 * of `throttle-models.ts` (legacy, Go's per-ticker path, tickpulse's
 * lossless planner). It reads no `STRAT:<id>:LAST` and writes nothing: each
 * model keeps its own evaluations in memory, so the live Go loop (which
 * writes `LAST` in whatever namespace it runs) cannot skew the numbers.
 *
 * The figures are exported per strategy class, timeframe unit and model,
 * and as one report (`report()`, the shape `throttle-report --json` prints).
 */
export function createShadow(deps: {
  redis: RedisClient;
  keys: RedisKeys;
  source: StrategySource;
  registry: Registry;
  logger: Logger;
  intervalMs: number;
  now?: () => number;
}): Shadow {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'shadow' });
  const registers = [deps.registry];
  const labelNames = ['class', 'unit', 'model'] as const;

  const cycles = new Counter({
    name: 'tickpulse_throttle_shadow_cycles_total',
    help: 'Shadow cycles run, by outcome (ok: every model advanced; failed: the strategies or TICK:UPD could not be read)',
    labelNames: ['outcome'],
    registers,
  });
  const cycleDuration = new Histogram({
    name: 'tickpulse_throttle_shadow_cycle_duration_seconds',
    help: 'Time to read the strategies and TICK:UPD and advance the three models',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const runs = new Counter({
    name: 'tickpulse_throttle_shadow_strategy_runs_total',
    help: 'Strategy runs each model would make (model: legacy, go_per_ticker, lossless; go_per_ticker runs of class global have no symbol filter)',
    labelNames,
    registers,
  });
  const evaluations = new Counter({
    name: 'tickpulse_throttle_shadow_ticker_evaluations_total',
    help: 'Ticker evaluations each model would make (a strategy-level run evaluates its typed symbols, or the market)',
    labelNames,
    registers,
  });
  const lateUpdates = new Counter({
    name: 'tickpulse_throttle_shadow_late_updates_total',
    help: '(ticker, bucket) pairs with an eligible trade after the ticker’s evaluation in the bucket that the model never evaluates: alerts it can miss',
    labelNames,
    registers,
  });
  const strategiesGauge = new Gauge({
    name: 'tickpulse_throttle_shadow_strategies',
    help: 'Active strategies in the last cycle, per class',
    labelNames: ['class'],
    registers,
  });
  const goPathGauge = new Gauge({
    name: 'tickpulse_throttle_shadow_go_path_strategies',
    help: 'Active strategies in the last cycle per path the Go loop takes with per-ticker on (disabled: never run)',
    labelNames: ['path'],
    registers,
  });
  const errors = new Counter({
    name: 'tickpulse_throttle_shadow_errors_total',
    help: 'Shadow failures, by reason (strategies_failed, tick_upd_failed; invalid_timeframe once per strategy)',
    labelNames: ['reason'],
    registers,
  });
  const lastCycleTs = new Gauge({
    name: 'tickpulse_throttle_shadow_last_cycle_timestamp_seconds',
    help: 'Unix time of the last successful shadow cycle',
    registers,
  });

  const models = createThrottleModels();
  const windows = createReportWindows();
  /** Per strategy: the tally already added to the counters. */
  const exported = new Map<number, StrategyTally>();
  const warnedInvalid = new Set<number>();

  let last: CycleReport | null = null;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<CycleReport> | undefined;
  let running = false;
  let stopping: Promise<void> | undefined;

  const readMarket = async (atMs: number): Promise<Map<string, number>> => {
    const flat = await deps.redis.zrangebyscore(
      deps.keys.tickUpd(),
      atMs - MARKET_WINDOW_MS,
      '+inf',
      'WITHSCORES',
    );
    const market = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2)
      market.set(flat[i]!, Number(flat[i + 1]));
    return market;
  };

  // Few distinct timeframes ('1m', '1d', …): parsed once, not per strategy per cycle.
  const timeframes = new Map<string, ReturnType<typeof timeframeOrNull>>();
  const labelsOf = (s: ActiveStrategy) => {
    let tf = timeframes.get(s.timeframe);
    if (tf === undefined) {
      tf = timeframeOrNull(s.timeframe);
      timeframes.set(s.timeframe, tf);
    }
    const path = goPathOf(s, tf);
    if (path === 'invalid-timeframe' && !warnedInvalid.has(s.id)) {
      warnedInvalid.add(s.id);
      errors.inc({ reason: 'invalid_timeframe' });
      // The column is free text: a megabyte of it must not become a log line.
      log.warn(
        { strategyId: s.id, timeframe: echoValue(s.timeframe) },
        'invalid min_timeframe: legacy runs it every cycle, Go per-ticker never',
      );
    }
    const cls = strategyClass({
      global: path === 'global',
      universeSize:
        s.universeSet.length > 0
          ? s.universeSet.length
          : s.alertUniverse.length,
    });
    return { path, cls, unit: tf?.unit ?? 'invalid' };
  };

  /** Adds what each strategy's tally grew by in this cycle to the counters. */
  const exportDeltas = (
    report: ThrottleReport,
    labels: Map<number, { cls: StrategyClass; unit: string }>,
  ) => {
    for (const t of report.strategies) {
      const l = labels.get(t.id);
      if (!l) continue;
      const prev = exported.get(t.id);
      for (const key of Object.keys(MODELS) as (keyof typeof MODELS)[]) {
        const m = { class: l.cls, unit: l.unit, model: MODELS[key] };
        const cur = t[key];
        const before = prev?.[key];
        runs.inc(m, cur.runs - (before?.runs ?? 0));
        evaluations.inc(m, cur.evaluations - (before?.evaluations ?? 0));
        if ('lateUpdates' in cur)
          lateUpdates.inc(
            m,
            cur.lateUpdates -
              ((before as { lateUpdates?: number } | undefined)?.lateUpdates ??
                0),
          );
      }
      exported.set(t.id, structuredClone(t));
    }
  };

  const failed = (started: number, reason: string, err: unknown) => {
    cycles.inc({ outcome: 'failed' });
    errors.inc({ reason });
    log.warn({ err }, `shadow cycle skipped: ${reason.replace(/_/g, ' ')}`);
    last = {
      atMs: started,
      ok: false,
      durationMs: now() - started,
      strategies: 0,
      goPaths: {},
    };
    return last;
  };

  const cycle = async (): Promise<CycleReport> => {
    const started = now();
    const endTimer = cycleDuration.startTimer();
    let strategies: ActiveStrategy[];
    let market: Map<string, number>;
    try {
      strategies = await deps.source.listActive();
    } catch (err) {
      endTimer();
      return failed(started, 'strategies_failed', err);
    }
    try {
      market = await readMarket(started);
    } catch (err) {
      endTimer();
      return failed(started, 'tick_upd_failed', err);
    }
    models.step({ atMs: started, tickUpd: market }, strategies, NEVER_MATCHES);

    const labels = new Map<number, { cls: StrategyClass; unit: string }>();
    const goPaths: Partial<Record<GoPath, number>> = {};
    strategiesGauge.reset();
    goPathGauge.reset();
    for (const s of strategies) {
      const l = labelsOf(s);
      labels.set(s.id, l);
      goPaths[l.path] = (goPaths[l.path] ?? 0) + 1;
      strategiesGauge.inc({ class: l.cls });
      goPathGauge.inc({ path: l.path });
    }
    const report = models.report();
    exportDeltas(report, labels);
    windows.observe(report);
    // A strategy no longer active keeps its figures in the report (and its
    // exported tally, should it return); its per-ticker state goes.
    models.retire(labels);

    endTimer();
    cycles.inc({ outcome: 'ok' });
    lastCycleTs.set(started / 1000);
    last = {
      atMs: started,
      ok: true,
      durationMs: now() - started,
      strategies: strategies.length,
      goPaths,
    };
    log.debug(last, 'shadow cycle');
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
    report: sinceMs => windows.since(models.report(), sinceMs),
  };
}
