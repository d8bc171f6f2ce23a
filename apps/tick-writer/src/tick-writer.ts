import {
  createKeys,
  echoValue,
  QUEUE_NAMES,
  TICK_BATCH_KEEP_FAILED,
} from '@tickpulse/contracts';
import {
  createDataLossWatch,
  createTickStore,
  type DataLossWatch,
  type RedisServerInfo,
  type TickStore,
  type RedisClient,
} from '@tickpulse/redis';
import {
  CHECK_TIMEOUT_MS,
  type CheckResult,
  logEvery,
  type Logger,
  redisCheck,
  sleep,
  startCounterSummary,
  withDeadline,
} from '@tickpulse/service-kit';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Registry } from 'prom-client';
import { createTickBatchProcessor } from './batch-processor.js';
import type { TickWriterOptions } from './options.js';
import { createFreshnessWindow } from './freshness-window.js';
import {
  createTickWriterMetrics,
  SUMMARY_COUNTERS,
  type TickWriterMetrics,
} from './metrics.js';
import {
  createRetentionProcessor,
  MAINTENANCE_QUEUE,
  RETENTION_JOB_NAME,
  scheduleRetention,
  type RetentionOutcome,
} from './retention.js';
import { runStartupChecks, type RedisAssessment } from './startup-checks.js';

/** Queue states exported as depth gauges (one cheap getJobCounts script per queue). */
const COUNTED_STATES = [
  'wait',
  'active',
  'delayed',
  'failed',
  'prioritized',
] as const;

/** tick-writer's dependencies; tests inject their own. */
export interface TickWriterDeps {
  options: TickWriterOptions;
  logger: Logger;
  registry: Registry;
  /**
   * A `worker`-role connection (`maxRetriesPerRequest: null`): commands wait
   * across a Redis restart instead of failing. Shared by the workers (which
   * duplicate it for their blocking reads), the queues and the TICK:UPD
   * writes. The caller owns and closes it.
   */
  redis: RedisClient;
  now?: () => number;
  /** Replaces `inspectRedisServer` (tests of the start-up gate). */
  inspectRedis?: (redis: RedisClient) => Promise<RedisServerInfo>;
}

/** The running service. */
export interface TickWriter {
  /** Checks Redis, schedules retention and starts consuming. Throws on an unsupported Redis. */
  start(): Promise<void>;
  /**
   * Stops taking jobs, waits for the batches in hand up to the drain timeout,
   * closes the queues. Idempotent. Rejects when the drain timed out (the
   * unfinished jobs are re-processed by another worker once their lock expires).
   */
  stop(): Promise<void>;
  /** /readyz checks: Redis answers a PING (within CHECK_TIMEOUT_MS) and the worker consumes. */
  readiness(): Promise<Record<string, CheckResult>>;
  /** Runs one retention pass now, in-process (the scheduled job runs the same code). */
  runRetention(): Promise<RetentionOutcome>;
  /** The outcome of the start-up checks, once started. */
  readonly assessment: RedisAssessment | null;
  readonly metrics: TickWriterMetrics;
  readonly store: TickStore;
}

/**
 * Creates tick-writer: a BullMQ worker on `ticks` that writes each batch to
 * TICK:UPD with ZADD GT, and a worker on its internal maintenance queue that
 * runs the scheduled retention. No I/O until `start()`.
 */
export function createTickWriter(deps: TickWriterDeps): TickWriter {
  const { options, logger, redis } = deps;
  const log = logger.child({ component: 'tick-writer' });
  const prefix = options.bullmqPrefix;
  let ticksQueue: Queue | undefined;
  let maintenanceQueue: Queue | undefined;
  let ticksWorker: Worker | undefined;
  let maintenanceWorker: Worker | undefined;
  let stopSummary: (() => void) | undefined;
  let dataLoss: DataLossWatch | undefined;
  let assessment: RedisAssessment | null = null;
  let stopping: Promise<void> | undefined;

  const metrics = createTickWriterMetrics(deps.registry, async gauge => {
    // The worker connection waits out a Redis outage; a scrape must not, so
    // both queues are read at once under one short deadline.
    await Promise.all(
      [ticksQueue, maintenanceQueue].map(async queue => {
        if (!queue) return;
        try {
          const counts = await withDeadline(
            queue.getJobCounts(...COUNTED_STATES),
            CHECK_TIMEOUT_MS,
            'getJobCounts',
          );
          for (const state of COUNTED_STATES) {
            gauge.set({ queue: queue.name, state }, counts[state] ?? 0);
          }
        } catch (err) {
          metrics.failures.inc({ reason: 'queue_metrics' });
          log.warn({ err, queue: queue.name }, 'queue depth unavailable');
        }
      }),
    );
  });

  const keys = createKeys(options.keyPrefix);
  const store = createTickStore(redis, keys);
  const freshness = createFreshnessWindow();
  const processBatch = createTickBatchProcessor({
    store,
    metrics,
    logger: log,
    freshness,
    chunkSize: options.writes.zaddChunk,
    maxTickers: options.writes.maxTickers,
    now: deps.now,
  });
  const runRetention = createRetentionProcessor({
    store,
    metrics,
    logger: log,
    retentionDays: options.retention.days,
    now: deps.now,
  });

  // BullMQ reports connection trouble through 'error' for every retry; count each, log a few.
  const warnWorker = logEvery(10_000);
  const onWorkerError = (queue: string) => (err: Error) => {
    metrics.failures.inc({ reason: 'worker_error' });
    warnWorker(suppressed =>
      log.warn({ err, queue, suppressed }, 'worker error'),
    );
  };

  const start = async () => {
    if (stopping) throw new Error('tick-writer was stopped');
    assessment = await runStartupChecks({
      redis,
      logger: log,
      gauge: metrics.redisCheck,
      inspect: deps.inspectRedis,
    });

    ticksQueue = new Queue(QUEUE_NAMES.ticks, { connection: redis, prefix });
    maintenanceQueue = new Queue(MAINTENANCE_QUEUE, {
      connection: redis,
      prefix,
    });
    for (const q of [ticksQueue, maintenanceQueue]) {
      q.on('error', err => {
        metrics.failures.inc({ reason: 'worker_error' });
        log.warn({ err, queue: q.name }, 'queue error');
      });
    }
    await scheduleRetention(maintenanceQueue, options.retention.intervalMs);

    ticksWorker = new Worker(
      QUEUE_NAMES.ticks,
      (job: Job) => processBatch(job),
      {
        connection: redis,
        prefix,
        concurrency: options.worker.concurrency,
        lockDuration: options.worker.lockDurationMs,
        stalledInterval: options.worker.stalledIntervalMs,
        maxStalledCount: options.worker.maxStalledCount,
        // Fallbacks for jobs added without these options (the producer sets them too).
        removeOnComplete: { count: 0 },
        removeOnFail: TICK_BATCH_KEEP_FAILED,
      },
    );
    ticksWorker.on('error', onWorkerError(QUEUE_NAMES.ticks));
    ticksWorker.on('stalled', jobId => {
      metrics.failures.inc({ reason: 'job_stalled' });
      log.warn(
        { jobId },
        'ticks job stalled (its worker died or lost Redis); re-processing it',
      );
    });

    maintenanceWorker = new Worker(
      MAINTENANCE_QUEUE,
      async (job: Job) => {
        if (job.name !== RETENTION_JOB_NAME) {
          throw new UnrecoverableError(
            `unknown maintenance job ${echoValue(job.name)}`,
          );
        }
        return runRetention();
      },
      {
        connection: redis,
        prefix,
        concurrency: 1,
        // Retention is one ZREMRANGEBYSCORE; a long lock only delays a crashed run's retry.
        lockDuration: 60_000,
        removeOnComplete: { count: 0 },
        removeOnFail: { age: 7 * 24 * 3600, count: 100 },
      },
    );
    maintenanceWorker.on('error', onWorkerError(MAINTENANCE_QUEUE));

    await Promise.all([
      ticksWorker.waitUntilReady(),
      maintenanceWorker.waitUntilReady(),
    ]);

    // The retention scheduler lives in Redis: an emptied Redis drops it, and
    // nothing else would re-create it before the next pod restart.
    const queue = maintenanceQueue;
    dataLoss = createDataLossWatch({
      redis,
      keys,
      logger: log,
      registry: deps.registry,
      onDataLoss: () => scheduleRetention(queue, options.retention.intervalMs),
    });
    await dataLoss.start();

    stopSummary = startCounterSummary({
      logger: log,
      registry: deps.registry,
      counters: SUMMARY_COUNTERS,
      intervalMs: options.summaryIntervalMs,
      extra: () => ({ freshness: freshness.take() }),
    });
    log.info(
      {
        queue: QUEUE_NAMES.ticks,
        prefix,
        concurrency: options.worker.concurrency,
        lockDurationMs: options.worker.lockDurationMs,
        retentionDays: options.retention.days,
      },
      'tick-writer consuming',
    );
  };

  const doStop = async () => {
    stopSummary?.();
    dataLoss?.stop();
    const workers = [ticksWorker, maintenanceWorker].filter(
      (w): w is Worker => w !== undefined,
    );
    // worker.close() has no timeout of its own: it waits for the jobs in hand.
    const drained = await Promise.race([
      Promise.all(workers.map(w => w.close())).then(() => true),
      sleep(options.worker.drainTimeoutMs).then(() => false),
    ]);
    await Promise.allSettled(
      [ticksQueue, maintenanceQueue].map(q => q?.close()),
    );
    if (!drained) {
      throw new Error(
        `ticks batches still in hand after ${options.worker.drainTimeoutMs} ms; they will be re-processed after their lock expires`,
      );
    }
    log.info('tick-writer stopped');
  };

  return {
    start,
    stop: () => (stopping ??= doStop()),
    async readiness() {
      const running = !stopping && (ticksWorker?.isRunning() ?? false);
      return {
        redis: await redisCheck(redis),
        worker: {
          ok: running,
          detail: running ? 'consuming' : 'not consuming',
        },
      };
    },
    runRetention,
    get assessment() {
      return assessment;
    },
    metrics,
    store,
  };
}
