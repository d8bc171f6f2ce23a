import { createKeys, QUEUE_NAMES, type RedisKeys } from '@tickpulse/contracts';
import {
  createTickStore,
  type RedisClient,
  type RedisServerInfo,
  type TickStore,
} from '@tickpulse/redis';
import {
  redisCheck,
  type CheckResult,
  type Logger,
} from '@tickpulse/service-kit';
import type { Job, Queue, Worker } from 'bullmq';
import type { Registry } from 'prom-client';
import { createTickBatchProcessor } from './batch-processor.js';
import {
  createFreshnessWindow,
  type FreshnessWindow,
} from './freshness-window.js';
import { startHousekeeping } from './housekeeping.js';
import { createTickWriterMetrics, type TickWriterMetrics } from './metrics.js';
import type { TickWriterOptions } from './options.js';
import { collectQueueDepths } from './queue-depth.js';
import { workerCheck } from './readiness.js';
import {
  createRetentionProcessor,
  scheduleRetention,
  type RetentionOutcome,
} from './retention.js';
import { stopInOrder, type Held } from './shutdown.js';
import { runStartupChecks, type RedisAssessment } from './startup-checks.js';
import {
  createErrorReporting,
  createQueues,
  createWorkers,
  type ErrorReporting,
} from './workers.js';

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

/** The fields of the 'tick-writer consuming' log line. */
export function consumingSummary(options: TickWriterOptions) {
  return {
    queue: QUEUE_NAMES.ticks,
    prefix: options.bullmqPrefix,
    concurrency: options.worker.concurrency,
    lockDurationMs: options.worker.lockDurationMs,
    retentionDays: options.retention.days,
  };
}

/** What a started tick-writer holds; filled step by step so `stop` can undo a failed start. */
interface State extends Held {
  queues: Queue[];
  ticksWorker?: Worker;
  assessment: RedisAssessment | null;
}

/** What `startConsuming` wires together; built once, with no I/O, by `createTickWriter`. */
interface Parts {
  deps: TickWriterDeps;
  log: Logger;
  keys: RedisKeys;
  metrics: TickWriterMetrics;
  freshness: FreshnessWindow;
  processBatch: (job: Job) => Promise<unknown>;
  runRetention: () => Promise<RetentionOutcome>;
  report: ErrorReporting;
}

/**
 * The start-up order: check the server, create the queues and schedule
 * retention, start both workers, then the data-loss watch and the summary.
 * Each resource goes into `state` as soon as it exists.
 */
async function startConsuming(parts: Parts, state: State): Promise<void> {
  const { deps, log, metrics, report } = parts;
  const { options, redis } = deps;
  const prefix = options.bullmqPrefix;
  state.assessment = await runStartupChecks({
    redis,
    logger: log,
    gauge: metrics.redisCheck,
    inspect: deps.inspectRedis,
  });
  const queues = createQueues(redis, prefix, report);
  state.queues.push(queues.ticks, queues.maintenance);
  await scheduleRetention(queues.maintenance, options.retention.intervalMs);

  const workers = createWorkers({
    connection: redis,
    prefix,
    worker: options.worker,
    processBatch: parts.processBatch,
    runRetention: parts.runRetention,
    report,
  });
  state.ticksWorker = workers.ticks;
  state.workers.push(workers.ticks, workers.maintenance);
  await Promise.all([
    workers.ticks.waitUntilReady(),
    workers.maintenance.waitUntilReady(),
  ]);

  await startHousekeeping(
    {
      redis,
      keys: parts.keys,
      logger: log,
      registry: deps.registry,
      maintenanceQueue: queues.maintenance,
      retentionIntervalMs: options.retention.intervalMs,
      summaryIntervalMs: options.summaryIntervalMs,
      freshness: parts.freshness,
    },
    stop => state.timers.push(stop),
  );
  log.info(consumingSummary(options), 'tick-writer consuming');
}

/**
 * Creates tick-writer: a BullMQ worker on `ticks` that writes each batch to
 * TICK:UPD with ZADD GT, and a worker on its internal maintenance queue that
 * runs the scheduled retention. No I/O until `start()`.
 */
export function createTickWriter(deps: TickWriterDeps): TickWriter {
  const { options, redis } = deps;
  const log = deps.logger.child({ component: 'tick-writer' });
  const state: State = {
    timers: [],
    workers: [],
    queues: [],
    assessment: null,
  };
  let stopping: Promise<void> | undefined;

  const metrics = createTickWriterMetrics(deps.registry, gauge =>
    collectQueueDepths(state.queues, gauge, (err, queue) => {
      metrics.failures.inc({ reason: 'queue_metrics' });
      log.warn({ err, queue }, 'queue depth unavailable');
    }),
  );
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
  const parts: Parts = {
    deps,
    log,
    keys,
    metrics,
    freshness,
    processBatch,
    runRetention,
    report: createErrorReporting(metrics, log),
  };

  const doStop = async () => {
    await stopInOrder(state, options.worker.drainTimeoutMs);
    log.info('tick-writer stopped');
  };

  return {
    async start() {
      if (stopping) throw new Error('tick-writer was stopped');
      await startConsuming(parts, state);
    },
    stop: () => (stopping ??= doStop()),
    async readiness() {
      const consuming = !stopping && (state.ticksWorker?.isRunning() ?? false);
      return {
        redis: await redisCheck(redis),
        worker: workerCheck(consuming),
      };
    },
    runRetention,
    get assessment() {
      return state.assessment;
    },
    metrics,
    store,
  };
}
