import type { Coalescer } from '@tickpulse/polygon';
import {
  logEvery,
  type Logger,
  publishTickBatch,
  sleep,
  withDeadline,
} from '@tickpulse/shared';
import type { Queue } from 'bullmq';
import { backoffDelay } from './backoff.js';
import type { IngestMetrics } from './metrics.js';
import type { QueueCap } from './queue-cap.js';

/** Longest pause between publish attempts while Redis is failing. */
const MAX_RETRY_DELAY_MS = 2000;
/** At most one warning per this period while held back or failing. */
const LOG_EVERY_MS = 10_000;

/** Publishes the coalesced map as `ticks` jobs, one at a time. */
export interface TickPublisher {
  /** Starts the flush timer. */
  start(): void;
  /** Stops the timer (pending data stays for `drain`). */
  stop(): void;
  /**
   * Publishes what is pending now, unless a publish is already in flight,
   * the publisher is backing off after a failure, or the `ticks` queue is at
   * its cap (`force` ignores the back-off and the cap: shutdown drains retry
   * on their own schedule, and a final batch must not be dropped).
   */
  flush(force?: boolean): Promise<boolean>;
  /** True while the queue is at its cap and trades are merged instead of published. */
  readonly heldBack: boolean;
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
 *
 * Backpressure: while `cap` says the queue is full (tick-writer down or
 * slow), nothing is published and trades keep merging into the coalescer;
 * the first flush that finds room publishes everything as one batch. Redis
 * then holds at most the cap's jobs however high the trade rate and however
 * long tick-writer is away, and ingest's memory stays one entry per ticker.
 * Only the newest time per ticker matters, so merging loses nothing. A
 * merged map larger than `maxJobTickers` goes out over several flushes, one
 * bounded job each, oldest entries first.
 */
export function createTickPublisher(deps: {
  coalescer: Coalescer;
  queue: Queue;
  cap: QueueCap;
  intervalMs: number;
  timeoutMs: number;
  /**
   * Most tickers per job: a larger pending map (after holding back) goes out
   * as several jobs, one per flush, so no job outgrows the `ticks` bound.
   */
  maxJobTickers: number;
  logger: Logger;
  metrics: IngestMetrics;
  /** Called with each batch once it is on the queue (ingest's watermark). */
  onPublished?: (batch: ReadonlyMap<string, number>) => void;
}): TickPublisher {
  const { coalescer, metrics } = deps;
  const log = deps.logger.child({ component: 'publisher' });
  let inFlight: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const warnFailure = logEvery(LOG_EVERY_MS);
  let failuresSinceLog = 0;
  let consecutiveFailures = 0;
  let retryAt = 0;
  let heldSince = 0;
  const warnHeld = logEvery(LOG_EVERY_MS);
  let heldChecks = 0;

  const failed = (err: unknown, what: string) => {
    metrics.publishFailures.inc();
    failuresSinceLog++;
    const now = Date.now();
    retryAt =
      now +
      backoffDelay(consecutiveFailures++, deps.intervalMs, MAX_RETRY_DELAY_MS);
    warnFailure(
      () =>
        log.warn(
          { err, pendingTickers: coalescer.size, failures: failuresSinceLog },
          what,
        ),
      now,
    );
  };

  const holdBack = (now: number) => {
    heldChecks++;
    metrics.heldBackFlushes.inc();
    if (heldSince === 0) {
      heldSince = now;
      metrics.heldBack.set(1);
    }
    warnHeld(
      () =>
        log.warn(
          {
            pendingJobs: deps.cap.pendingBound,
            pendingTickers: coalescer.size,
            heldForMs: now - heldSince,
            heldChecks,
          },
          'ticks queue at its cap (tick-writer down or slow): holding back, merging trades per ticker',
        ),
      now,
    );
  };

  const release = (now: number, tickers: number) => {
    if (heldSince === 0) return;
    log.info(
      { heldForMs: now - heldSince, heldChecks, tickers },
      'ticks queue has room again: published the merged batch',
    );
    heldSince = 0;
    heldChecks = 0;
    metrics.heldBack.set(0);
  };

  const publishOnce = async (force: boolean): Promise<boolean> => {
    if (!force) {
      let room;
      try {
        room = await deps.cap.check(Date.now());
      } catch (err) {
        failed(err, 'reading the ticks queue length failed; will retry');
        return false;
      }
      if (room !== 'room') {
        if (room === 'full') holdBack(Date.now());
        return false;
      }
    }
    const batch = coalescer.take(deps.maxJobTickers);
    if (coalescer.size > 0) metrics.oversizedFlushes.inc();
    const stopTimer = metrics.publishSeconds.startTimer();
    let now: number;
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
      now = Date.now();
      release(now, batch.size);
      deps.onPublished?.(batch);
    } catch (err) {
      coalescer.mergeBack(batch);
      failed(err, 'publishing ticks failed; batch merged back');
      return false;
    }
    await deps.cap.published(now);
    return true;
  };

  const flush = (force = false): Promise<boolean> => {
    if (inFlight) return inFlight;
    if (coalescer.size === 0) return Promise.resolve(true);
    if (!force && Date.now() < retryAt) return Promise.resolve(false);
    inFlight = publishOnce(force).finally(() => {
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
    get heldBack() {
      return heldSince !== 0;
    },
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
