import { type RedisKeys } from '@tickpulse/contracts';
import { type RedisClient } from '@tickpulse/redis';
import { type Logger } from '@tickpulse/service-kit';
import {
  compareNamespaces,
  type NamespaceComparison,
} from '@tickpulse/throttle';
import { Counter, Gauge, type Registry } from 'prom-client';

/** The periodic namespace comparison (the gauges behind the dashboard's cutover row). */
export interface CompareExporter {
  start(): void;
  stop(): Promise<void>;
  /** One comparison now; resolves to null when it failed (counted and logged). */
  runOnce(): Promise<NamespaceComparison | null>;
}

const snake = (s: string) => s.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`);

/**
 * Runs `tickpulse compare` every `intervalMs` inside throttle-shadow (the app
 * that already holds the shadow namespace's Redis connection and exists to
 * compare) and exports the last result as gauges, so a whole trading day of
 * shadow-vs-Go differences is on the dashboard. Runs never overlap; a failed
 * run keeps the previous gauges and counts `result="failed"`.
 */
export function createCompareExporter(deps: {
  redis: RedisClient;
  reference: RedisKeys;
  shadow: RedisKeys;
  registry: Registry;
  logger: Logger;
  intervalMs: number;
}): CompareExporter {
  const registers = [deps.registry];
  const tickers = new Gauge({
    name: 'tickpulse_compare_tickers',
    help: 'TICK:UPD in the last comparison of the reference (Go) and shadow (tickpulse) namespaces: tickers per set (reference, shadow, both, only_reference, only_shadow, equal, shadow_ahead, shadow_behind)',
    labelNames: ['set'],
    registers,
  });
  const delta = new Gauge({
    name: 'tickpulse_compare_tick_abs_delta_seconds',
    help: '|shadow − reference| TICK:UPD score over the tickers in both namespaces, last comparison (stat: p50, p99, max)',
    labelNames: ['stat'],
    registers,
  });
  const universes = new Gauge({
    name: 'tickpulse_compare_universes',
    help: 'STRAT:<id>:UNIV in the last comparison: strategies per set (reference, shadow, equal, differ, only_reference, only_shadow)',
    labelNames: ['set'],
    registers,
  });
  const runs = new Counter({
    name: 'tickpulse_compare_runs_total',
    help: 'namespace comparisons by result (ok, failed)',
    labelNames: ['result'],
    registers,
  });
  const lastSuccess = new Gauge({
    name: 'tickpulse_compare_last_success_timestamp_seconds',
    help: 'Unix time of the last successful comparison',
    registers,
  });
  const duration = new Gauge({
    name: 'tickpulse_compare_duration_seconds',
    help: 'how long the last successful comparison took',
    registers,
  });
  for (const result of ['ok', 'failed']) runs.inc({ result }, 0);

  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = false;

  const runOnce = async (): Promise<NamespaceComparison | null> => {
    const started = Date.now();
    try {
      const { comparison: c } = await compareNamespaces(
        deps.redis,
        deps.reference,
        deps.shadow,
      );
      const { absDeltaMs, ...tickCounts } = c.ticks;
      for (const [k, v] of Object.entries(tickCounts))
        tickers.set({ set: snake(k) }, v);
      for (const [k, v] of Object.entries(absDeltaMs))
        delta.set({ stat: k }, v / 1000);
      for (const [k, v] of Object.entries(c.universes))
        universes.set({ set: snake(k) }, v);
      runs.inc({ result: 'ok' });
      lastSuccess.set(Date.now() / 1000);
      duration.set((Date.now() - started) / 1000);
      return c;
    } catch (err) {
      runs.inc({ result: 'failed' });
      deps.logger.warn({ err }, 'namespace comparison failed');
      return null;
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce().finally(() => {
        running = null;
        schedule();
      });
    }, deps.intervalMs);
  };

  return {
    start() {
      stopped = false;
      running = runOnce().finally(() => {
        running = null;
        schedule();
      });
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
    runOnce,
  };
}
