import {
  boundFutureTicks,
  InvalidJobError,
  newestTick,
  parseTickBatch,
  type Logger,
  type TickStore,
} from '@tickpulse/shared';
import { UnrecoverableError, type Job } from 'bullmq';
import type { FreshnessWindow } from './freshness-window.js';
import type { TickWriterMetrics } from './metrics.js';

/** What a processed batch did; stored as the job's return value. */
export interface BatchOutcome {
  /** Members sent with ZADD GT. */
  sent: number;
  /** Members added or moved forward. */
  changed: number;
  /** ZADD calls made. */
  calls: number;
  /** Entries left out because their time is beyond the future bound. */
  future: number;
}

/**
 * Builds the `ticks` job processor: validate, then write with chunked,
 * pipelined `ZADD TICK:UPD GT CH`.
 *
 * - A payload that breaks the contract throws BullMQ's `UnrecoverableError`:
 *   the job fails at once without using its retries, and stays in the failed
 *   set (bounded by `removeOnFail`) for inspection. Other batches are untouched.
 * - An entry whose time is more than `TICK_FUTURE_TOLERANCE_MS` ahead of the
 *   local clock is left out, counted and logged; the rest of the batch is
 *   written. One bad clock must not cost the other tickers their update, and
 *   written, such a time would freeze its ticker (ZADD GT).
 * - A Redis error is rethrown as is, so the job's `attempts`/`backoff` retry
 *   it; a replay is harmless because ZADD GT never moves a ticker back.
 */
export function createTickBatchProcessor(deps: {
  store: TickStore;
  metrics: TickWriterMetrics;
  logger: Logger;
  freshness: FreshnessWindow;
  chunkSize: number;
  now?: () => number;
}): (
  job: Pick<Job, 'id' | 'data' | 'name' | 'attemptsMade'>,
) => Promise<BatchOutcome> {
  const { metrics, logger } = deps;
  const now = deps.now ?? Date.now;

  const rejectInvalid = (job: Pick<Job, 'id' | 'name'>, err: Error): never => {
    metrics.batches.inc({ result: 'invalid' });
    metrics.failures.inc({ reason: 'invalid_job' });
    logger.warn(
      { jobId: job.id, jobName: job.name, reason: err.message },
      'invalid ticks job rejected (kept in the failed set, not retried)',
    );
    throw new UnrecoverableError(err.message);
  };

  return async job => {
    let batch;
    try {
      batch = parseTickBatch(job.data);
    } catch (err) {
      if (err instanceof InvalidJobError) return rejectInvalid(job, err);
      throw err;
    }
    const { accepted, future } = boundFutureTicks(batch, now());
    if (future.length > 0) {
      metrics.ticksRejected.inc({ reason: 'future' }, future.length);
      const [ticker, ms] = future[0]!;
      logger.warn(
        {
          jobId: job.id,
          future: future.length,
          example: { ticker, ms },
        },
        'ticks more than 10 s in the future left out (a producer clock is wrong)',
      );
    }
    const members = accepted.times.length;
    const started = process.hrtime.bigint();
    let result;
    try {
      result = await deps.store.markUpdatedBatch(accepted, deps.chunkSize);
    } catch (err) {
      metrics.batches.inc({ result: 'error' });
      metrics.failures.inc({ reason: 'redis_write' });
      logger.error(
        {
          err,
          jobId: job.id,
          attemptsMade: job.attemptsMade,
          tickers: members,
        },
        'tick batch write failed; BullMQ will retry it',
      );
      throw err;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;

    metrics.writeDuration.observe(seconds);
    metrics.tickUpdates.inc(result.sent);
    metrics.membersChanged.inc(result.changed);
    metrics.batches.inc({ result: 'written' });
    metrics.batchSize.observe(members);
    const newest = newestTick(accepted);
    if (newest !== null) {
      // A replayed or stalled-then-retried batch shows up here as old, on purpose:
      // that is how long its ticks took to reach TICK:UPD.
      const freshnessS = Math.max(0, (now() - newest) / 1000);
      metrics.freshness.observe(freshnessS);
      deps.freshness.add(freshnessS);
    }
    logger.debug(
      { jobId: job.id, ...result, writeMs: Math.round(seconds * 1000) },
      'tick batch written',
    );
    return { ...result, future: future.length };
  };
}
