import {
  JOB_NAMES,
  QUEUE_NAMES,
  RETENTION_JOB_OPTIONS,
} from '@tickpulse/contracts';
import { type TickStore } from '@tickpulse/redis';
import { type Logger } from '@tickpulse/service-kit';
import type { Queue } from 'bullmq';
import type { TickWriterMetrics } from './metrics.js';

/**
 * tick-writer's internal queue for housekeeping, never the `ticks` queue:
 * mixing another job type into it would make garbage-job handling and depth
 * alerts lie.
 */
export const MAINTENANCE_QUEUE = QUEUE_NAMES.tickMaintenance;

/** Scheduler id of the retention job: upserting it at every start is idempotent. */
export const RETENTION_SCHEDULER_ID = 'tick-upd-retention';

/** Job name of a retention run. */
export const RETENTION_JOB_NAME = JOB_NAMES.retention;

const DAY_MS = 24 * 3600 * 1000;

/** The cutoff: members whose latest trade is strictly before it are removed. */
export function retentionCutoffMs(
  nowMs: number,
  retentionDays: number,
): number {
  return nowMs - retentionDays * DAY_MS;
}

/** What one retention run did. */
export interface RetentionOutcome {
  cutoffMs: number;
  removed: number;
}

/**
 * The retention job's processor: `ZREMRANGEBYSCORE TICK:UPD -inf (cutoff`
 * (the existing backend's 90-day cleanup). A member at exactly the cutoff
 * stays. Running it twice is harmless.
 */
export function createRetentionProcessor(deps: {
  store: TickStore;
  metrics: TickWriterMetrics;
  logger: Logger;
  retentionDays: number;
  now?: () => number;
}): () => Promise<RetentionOutcome> {
  const now = deps.now ?? Date.now;
  return async () => {
    const cutoffMs = retentionCutoffMs(now(), deps.retentionDays);
    try {
      const removed = await deps.store.removeOlderThan(cutoffMs);
      deps.metrics.retentionRemoved.inc(removed);
      deps.metrics.retentionRuns.inc({ result: 'ok' });
      deps.metrics.retentionLastSuccess.set(Math.floor(now() / 1000));
      deps.logger.info(
        {
          cutoff: new Date(cutoffMs).toISOString(),
          removed,
          retentionDays: deps.retentionDays,
        },
        'TICK:UPD retention done',
      );
      return { cutoffMs, removed };
    } catch (err) {
      deps.metrics.retentionRuns.inc({ result: 'error' });
      deps.metrics.failures.inc({ reason: 'retention' });
      deps.logger.error(
        { err },
        'TICK:UPD retention failed; BullMQ will retry it',
      );
      throw err;
    }
  };
}

/**
 * Creates or updates the retention scheduler. The scheduler keeps exactly one
 * delayed job per interval whoever upserts it, and a job is taken by exactly
 * one worker, so every replica can call this at start and still only one run
 * happens cluster-wide per interval.
 */
export async function scheduleRetention(
  queue: Queue,
  everyMs: number,
): Promise<void> {
  await queue.upsertJobScheduler(
    RETENTION_SCHEDULER_ID,
    { every: everyMs },
    {
      name: RETENTION_JOB_NAME,
      data: {},
      opts: RETENTION_JOB_OPTIONS,
    },
  );
}
