import {
  echoValue,
  QUEUE_NAMES,
  TICK_BATCH_KEEP_FAILED,
} from '@tickpulse/contracts';
import type { RedisClient } from '@tickpulse/redis';
import { logEvery, type Logger } from '@tickpulse/service-kit';
import {
  Queue,
  UnrecoverableError,
  Worker,
  type Job,
  type WorkerOptions,
} from 'bullmq';
import type { TickWriterMetrics } from './metrics.js';
import type { TicksWorkerOptions } from './options.js';
import {
  MAINTENANCE_QUEUE,
  RETENTION_JOB_NAME,
  type RetentionOutcome,
} from './retention.js';

/** The `ticks` worker's BullMQ options. */
export function ticksWorkerOptions(
  worker: TicksWorkerOptions,
  connection: RedisClient,
  prefix: string,
): WorkerOptions {
  return {
    connection,
    prefix,
    concurrency: worker.concurrency,
    lockDuration: worker.lockDurationMs,
    stalledInterval: worker.stalledIntervalMs,
    maxStalledCount: worker.maxStalledCount,
    // Fallbacks for jobs added without these options (the producer sets them too).
    removeOnComplete: { count: 0 },
    removeOnFail: TICK_BATCH_KEEP_FAILED,
  };
}

/** The maintenance worker's BullMQ options: fixed, since retention is one command. */
export function maintenanceWorkerOptions(
  connection: RedisClient,
  prefix: string,
): WorkerOptions {
  return {
    connection,
    prefix,
    concurrency: 1,
    // Retention is one ZREMRANGEBYSCORE; a long lock only delays a crashed run's retry.
    lockDuration: 60_000,
    removeOnComplete: { count: 0 },
    removeOnFail: { age: 7 * 24 * 3600, count: 100 },
  };
}

/**
 * The maintenance queue's processor. Retention is its only job; any other
 * name fails for good rather than being retried into the same answer.
 */
export function maintenanceProcessor(
  runRetention: () => Promise<RetentionOutcome>,
): (job: Pick<Job, 'name'>) => Promise<RetentionOutcome> {
  return async job => {
    if (job.name !== RETENTION_JOB_NAME) {
      throw new UnrecoverableError(
        `unknown maintenance job ${echoValue(job.name)}`,
      );
    }
    return runRetention();
  };
}

/** How queue and worker trouble is counted and logged. */
export interface ErrorReporting {
  queueError(queue: string): (err: Error) => void;
  workerError(queue: string): (err: Error) => void;
  stalled(jobId: string): void;
}

/** Counts every error; logs queue and worker errors each at most once per 10 s. */
export function createErrorReporting(
  metrics: TickWriterMetrics,
  log: Logger,
): ErrorReporting {
  // BullMQ reports connection trouble through 'error' for every retry; count each, log a few.
  const warnWorker = logEvery(10_000);
  const warnQueue = logEvery(10_000);
  return {
    queueError: queue => err => {
      metrics.failures.inc({ reason: 'worker_error' });
      warnQueue(suppressed =>
        log.warn({ err, queue, suppressed }, 'queue error'),
      );
    },
    workerError: queue => err => {
      metrics.failures.inc({ reason: 'worker_error' });
      warnWorker(suppressed =>
        log.warn({ err, queue, suppressed }, 'worker error'),
      );
    },
    stalled: jobId => {
      metrics.failures.inc({ reason: 'job_stalled' });
      log.warn(
        { jobId },
        'ticks job stalled (its worker died or lost Redis); re-processing it',
      );
    },
  };
}

/** The `ticks` queue and the maintenance queue, their errors reported. */
export function createQueues(
  connection: RedisClient,
  prefix: string,
  report: ErrorReporting,
): { ticks: Queue; maintenance: Queue } {
  const ticks = new Queue(QUEUE_NAMES.ticks, { connection, prefix });
  const maintenance = new Queue(MAINTENANCE_QUEUE, { connection, prefix });
  for (const q of [ticks, maintenance])
    q.on('error', report.queueError(q.name));
  return { ticks, maintenance };
}

/**
 * Constructs both workers with their events wired. They start connecting at
 * once; the caller keeps them (to close them even if readiness fails) and
 * awaits `waitUntilReady()`.
 */
export function createWorkers(deps: {
  connection: RedisClient;
  prefix: string;
  worker: TicksWorkerOptions;
  processBatch: (job: Job) => Promise<unknown>;
  runRetention: () => Promise<RetentionOutcome>;
  report: ErrorReporting;
}): { ticks: Worker; maintenance: Worker } {
  const { connection, prefix, report } = deps;
  const ticks = new Worker(
    QUEUE_NAMES.ticks,
    (job: Job) => deps.processBatch(job),
    ticksWorkerOptions(deps.worker, connection, prefix),
  );
  ticks.on('error', report.workerError(QUEUE_NAMES.ticks));
  ticks.on('stalled', jobId => report.stalled(jobId));

  const maintenance = new Worker(
    MAINTENANCE_QUEUE,
    maintenanceProcessor(deps.runRetention),
    maintenanceWorkerOptions(connection, prefix),
  );
  maintenance.on('error', report.workerError(MAINTENANCE_QUEUE));
  return { ticks, maintenance };
}
