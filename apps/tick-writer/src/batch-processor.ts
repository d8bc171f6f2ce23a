import {
  batchTickers,
  boundFutureTicks,
  InvalidJobError,
  newestTick,
  parseTickBatch,
  tickBatchOf,
  type TickBatch,
} from '@tickpulse/contracts';
import { type TickStore } from '@tickpulse/redis';
import { logEvery, type Logger } from '@tickpulse/service-kit';
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

/** How long a read of TICK:UPD's size is trusted (plus what was written since). */
const SIZE_REFRESH_MS = 1000;

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
 * - While TICK:UPD would pass `maxTickers`, tickers it already holds are
 *   written and new ones only as far as there is room; the others are
 *   counted and logged at most once a minute. `ZCARD` is read at most once
 *   a second while far from the cap; only a batch that might pass it pays
 *   an exact `ZCARD` and a `ZMSCORE`. Batches in flight at once may each
 *   take the last room, and other replicas' new tickers go unseen for up to
 *   a second, so the key can pass the cap by that much.
 */
export function createTickBatchProcessor(deps: {
  store: TickStore;
  metrics: TickWriterMetrics;
  logger: Logger;
  freshness: FreshnessWindow;
  chunkSize: number;
  /** Most members TICK:UPD may reach (new tickers past it are left out). */
  maxTickers: number;
  now?: () => number;
}): (
  job: Pick<Job, 'id' | 'data' | 'name' | 'attemptsMade'>,
) => Promise<BatchOutcome> {
  const { metrics, logger } = deps;
  const now = deps.now ?? Date.now;
  const warnCap = logEvery(60_000);
  // TICK:UPD's size, read at most once a second and raised by every batch
  // written since: far from the cap a batch costs no extra round trip. Other
  // replicas' new tickers are missed for at most that second.
  let sizeEstimate = 0;
  let sizeReadAt = Number.NEGATIVE_INFINITY;

  /** The batch without the new tickers that would take TICK:UPD past the cap. */
  const withinCap = async (
    batch: TickBatch,
    jobId: string | undefined,
  ): Promise<TickBatch> => {
    const n = batch.times.length;
    const at = now();
    if (at - sizeReadAt >= SIZE_REFRESH_MS) {
      sizeEstimate = await deps.store.size();
      sizeReadAt = at;
    }
    if (sizeEstimate + n <= deps.maxTickers) {
      // As if every entry were new: the estimate only errs high.
      sizeEstimate += n;
      return batch;
    }
    const size = await deps.store.size();
    sizeReadAt = at;
    sizeEstimate = size + n;
    if (size + n <= deps.maxTickers) return batch;
    const tickers = batchTickers(batch);
    const known = await deps.store.contains(tickers);
    let room = Math.max(0, deps.maxTickers - size);
    const keptTickers: string[] = [];
    const keptTimes: number[] = [];
    let refused = 0;
    let example: string | undefined;
    for (let i = 0; i < n; i++) {
      if (!known[i]) {
        if (room === 0) {
          refused++;
          example ??= tickers[i];
          continue;
        }
        room--;
      }
      keptTickers.push(tickers[i]!);
      keptTimes.push(batch.times[i]!);
    }
    if (refused === 0) return batch;
    metrics.ticksRejected.inc({ reason: 'ticker_cap' }, refused);
    warnCap(suppressed =>
      logger.error(
        {
          jobId,
          maxTickers: deps.maxTickers,
          members: size,
          refused,
          example,
          suppressed,
        },
        'TICK:UPD holds TICK_WRITER_MAX_TICKERS tickers: new tickers left out, known ones still updated (a producer names more symbols than the market has; logged at most once a minute)',
      ),
    );
    return tickBatchOf(keptTickers, keptTimes);
  };

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
    const bounded = boundFutureTicks(batch, now());
    const { future } = bounded;
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
    const started = process.hrtime.bigint();
    let accepted: TickBatch;
    let result;
    try {
      accepted = await withinCap(bounded.accepted, job.id);
      result = await deps.store.markUpdatedBatch(accepted, deps.chunkSize);
    } catch (err) {
      metrics.batches.inc({ result: 'error' });
      metrics.failures.inc({ reason: 'redis_write' });
      logger.error(
        {
          err,
          jobId: job.id,
          attemptsMade: job.attemptsMade,
          tickers: bounded.accepted.times.length,
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
    metrics.batchSize.observe(accepted.times.length);
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
