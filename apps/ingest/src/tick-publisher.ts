import type { Coalescer } from '@tickpulse/polygon';
import {
  publishTickBatch,
  sleep,
  withDeadline,
  type Logger,
} from '@tickpulse/shared';
import type { Queue } from 'bullmq';
import { backoffDelay } from './backoff.js';
import type { IngestMetrics } from './metrics.js';

/** Longest pause between publish attempts while Redis is failing. */
const MAX_RETRY_DELAY_MS = 2000;

/** Publishes the coalesced map as `ticks` jobs, one at a time. */
export interface TickPublisher {
  /** Starts the flush timer. */
  start(): void;
  /** Stops the timer (pending data stays for `drain`). */
  stop(): void;
  /**
   * Publishes what is pending now, unless a publish is already in flight or
   * the publisher is backing off after a failure (`force` ignores the
   * back-off: shutdown drains retry on their own schedule).
   */
  flush(force?: boolean): Promise<boolean>;
  /**
   * Publishes everything pending, retrying failures, until done or
   * `deadlineMs` passes; true when nothing is left.
   */
  drain(deadlineMs: number): Promise<boolean>;
}

/**
 * Creates the publisher. Never more than one publish is in flight, so a slow
 * or dead Redis cannot pile up requests; a failed (or timed-out) batch is
 * merged back into the coalescer, which keeps the maximum per ticker, so
 * memory stays bounded by the number of tickers and no ticker's newest time
 * is lost. A timed-out add that later succeeds only causes a duplicate
 * write, which `ZADD GT` makes harmless.
 *
 * After a failure the next attempt waits (exponential back-off from the
 * flush interval up to 2 s): turning up to every pending ticker into a job on
 * every frame only to have it rejected would starve the socket reader during
 * a Redis outage, and Polygon disconnects slow readers.
 */
export function createTickPublisher(deps: {
  coalescer: Coalescer;
  queue: Queue;
  intervalMs: number;
  timeoutMs: number;
  logger: Logger;
  metrics: IngestMetrics;
}): TickPublisher {
  const { coalescer, metrics } = deps;
  const log = deps.logger.child({ component: 'publisher' });
  let inFlight: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastFailureLog = 0;
  let failuresSinceLog = 0;
  let consecutiveFailures = 0;
  let retryAt = 0;

  const publishOnce = async (): Promise<boolean> => {
    const batch = coalescer.drain();
    const stopTimer = metrics.publishSeconds.startTimer();
    try {
      await withDeadline(
        publishTickBatch(deps.queue, batch),
        deps.timeoutMs,
        'ticks publish',
      );
      stopTimer();
      metrics.batches.inc();
      metrics.tickersPublished.inc(batch.size);
      consecutiveFailures = 0;
      retryAt = 0;
      if (failuresSinceLog > 0) {
        log.info(
          { failures: failuresSinceLog, tickers: batch.size },
          'publishing recovered',
        );
        failuresSinceLog = 0;
      }
      return true;
    } catch (err) {
      coalescer.mergeBack(batch);
      metrics.publishFailures.inc();
      failuresSinceLog++;
      retryAt =
        Date.now() +
        backoffDelay(
          consecutiveFailures++,
          deps.intervalMs,
          MAX_RETRY_DELAY_MS,
        );
      const now = Date.now();
      if (now - lastFailureLog > 10_000) {
        lastFailureLog = now;
        log.warn(
          { err, pendingTickers: coalescer.size, failures: failuresSinceLog },
          'publishing ticks failed; batch merged back',
        );
      }
      return false;
    }
  };

  const flush = (force = false): Promise<boolean> => {
    if (inFlight) return inFlight;
    if (coalescer.size === 0) return Promise.resolve(true);
    if (!force && Date.now() < retryAt) return Promise.resolve(false);
    inFlight = publishOnce().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    start() {
      if (timer) return;
      timer = setInterval(() => void flush(), deps.intervalMs);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    flush,
    async drain(deadlineMs) {
      const until = Date.now() + deadlineMs;
      if (inFlight) await inFlight;
      while (coalescer.size > 0 && Date.now() < until) {
        if (!(await flush(true)))
          await sleep(Math.min(250, Math.max(0, until - Date.now())));
      }
      return coalescer.size === 0;
    },
  };
}
