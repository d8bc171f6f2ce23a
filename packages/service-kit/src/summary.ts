import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { metricTotal } from './metrics.js';

/** The existing backend's metrics loop logged every 5 minutes; operators know that cadence. */
export const SUMMARY_INTERVAL_MS = 5 * 60_000;

/**
 * Logs one line every `intervalMs` with each named counter's total, its
 * increase over the window and its rate per minute, plus whatever `extra`
 * returns (e.g. a freshness percentile).
 *
 * @returns a function that stops the loop.
 */
export function startCounterSummary(opts: {
  logger: Logger;
  registry: Registry;
  counters: readonly string[];
  intervalMs?: number;
  extra?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
}): () => void {
  const intervalMs = opts.intervalMs ?? SUMMARY_INTERVAL_MS;
  const previous = new Map<string, number>();
  let running = false;

  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const counters: Record<
        string,
        { total: number; delta: number; perMin: number }
      > = {};
      for (const name of opts.counters) {
        const total = await metricTotal(opts.registry, name);
        const delta = total - (previous.get(name) ?? 0);
        previous.set(name, total);
        counters[name.replace(/^tickpulse_/, '')] = {
          total,
          delta,
          perMin: Math.round((delta / intervalMs) * 60_000 * 100) / 100,
        };
      }
      const extra = opts.extra ? await opts.extra() : {};
      opts.logger.info(
        { windowS: intervalMs / 1000, counters, ...extra },
        'counter summary',
      );
    } catch (err) {
      opts.logger.warn({ err }, 'counter summary failed');
    } finally {
      running = false;
    }
  };

  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
