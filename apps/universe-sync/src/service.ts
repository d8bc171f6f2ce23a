import {
  createStrategyReader,
  enqueueReconcile,
  enqueueUniverseSync,
  JOB_NAMES,
  QUEUE_NAMES,
  RECONCILE_JOB_OPTIONS,
  type RedisKeys,
  type StrategyReader,
} from '@tickpulse/contracts';
import {
  createDataLossWatch,
  createUniverseStore,
  type UniverseStore,
  type RedisClient,
} from '@tickpulse/redis';
import {
  CHECK_TIMEOUT_MS,
  type CheckResult,
  logEvery,
  type Logger,
  redisCheck,
  startCounterSummary,
  withDeadline,
} from '@tickpulse/service-kit';
import { Queue } from 'bullmq';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { startFootprintSampler } from './footprint.js';
import { createMalformedRowReporter } from './malformed-rows.js';
import {
  createUniverseMetrics,
  SUMMARY_COUNTERS,
  type UniverseMetrics,
} from './metrics.js';
import {
  createNotifyListener,
  type NotifyListener,
} from './notify-listener.js';
import { createReconciler, type Reconciler } from './reconcile.js';
import { createTriggerGate, type TriggerGate } from './trigger-gate.js';
import { createStrategySyncer } from './strategy-sync.js';
import {
  createUniverseSyncWorker,
  type UniverseSyncWorker,
  type WorkerHooks,
} from './worker.js';

/** Id of the reconcile job scheduler (one per queue, shared by every replica). */
export const RECONCILE_SCHEDULER_ID = 'universe-reconcile';

/** Settings of the service (`universeSyncOptions` maps them from the config). */
export interface ServiceSettings {
  bullmqPrefix: string;
  /** Defaults to `universe-sync`; tests use unique names. */
  queueName?: string;
  concurrency: number;
  reconcileIntervalMs: number;
  reconcileOnStart: boolean;
  reconcilePageSize: number;
  /** See createReconciler's `fullCheckEvery` (default 4). */
  reconcileFullCheckEvery?: number;
  listen: boolean;
  databaseUrl: string;
  notifyChannel: string;
  /** See createNotifyListener's `maxPending` (default 1000). */
  notifyMaxPending?: number;
  summaryIntervalMs?: number;
  leaseTtlMs?: number;
  deferMs?: number;
  /** Footprint gauge period; unset: no sampling (tests that do not need it). */
  footprintIntervalMs?: number;
  /** Exported as tickpulse_redis_footprint_budget_bytes. */
  footprintBudgetBytes?: number;
  listenBackoffMs?: (attempt: number) => number;
  /** While the notify trigger is absent, how often to look for it again (default 60 s). */
  triggerRecheckMs?: number;
}

/** The service's four Redis connections, one per role (see createUniverseSyncService). */
export interface ServiceRedis {
  command: RedisClient;
  producer: RedisClient;
  worker: RedisClient;
  reconcile: RedisClient;
}

/** The running universe-sync: worker, reconcile schedule, LISTEN and their shared parts. */
export interface UniverseSyncService {
  readonly queue: Queue;
  readonly reader: StrategyReader;
  readonly store: UniverseStore;
  readonly metrics: UniverseMetrics;
  readonly worker: UniverseSyncWorker;
  readonly reconciler: Reconciler;
  readonly listener: NotifyListener | undefined;
  start(): Promise<void>;
  /** Stops intake (LISTEN, worker) and waits for running jobs. Idempotent. */
  stop(): Promise<void>;
  readiness(): Promise<Record<string, CheckResult>>;
}

/** What `createUniverseSyncService` is built from. */
export interface ServiceDeps {
  settings: ServiceSettings;
  logger: Logger;
  registry: Registry;
  keys: RedisKeys;
  redis: ServiceRedis;
  pool: pg.Pool;
  hooks?: WorkerHooks;
}

/**
 * Builds the service from its clients. Nothing connects or runs until
 * `start()`.
 *
 * @param deps.redis.command plain commands (store, lease, readiness)
 * @param deps.redis.producer fail-fast connection for the Queue (API, LISTEN, scheduler)
 * @param deps.redis.worker the BullMQ worker's connection (`maxRetriesPerRequest: null`)
 * @param deps.redis.reconcile a connection of its own for reconcile's WATCH/MULTI
 */
export function createUniverseSyncService(
  deps: ServiceDeps,
): UniverseSyncService {
  const { settings, logger, keys } = deps;
  const queueName = settings.queueName ?? QUEUE_NAMES.universeSync;
  const queue = new Queue(queueName, {
    connection: deps.redis.producer,
    prefix: settings.bullmqPrefix,
  });
  const warnQueue = logEvery(10_000);
  queue.on('error', err => {
    metrics.errors.inc({ where: 'queue' });
    warnQueue(suppressed =>
      logger.warn({ err, suppressed }, 'universe-sync queue error'),
    );
  });
  const metrics = createUniverseMetrics(deps.registry, () =>
    withDeadline(
      queue.getJobCounts('waiting', 'active', 'delayed', 'failed'),
      CHECK_TIMEOUT_MS,
      'getJobCounts',
    ),
  );
  const reader = createStrategyReader(deps.pool);
  const store = createUniverseStore(deps.redis.command, keys);
  const { worker, reconciler } = createJobs(deps, queueName, {
    reader,
    store,
    metrics,
  });
  const { listener, gate } = createListen(deps, queue, metrics);
  const dataLoss = watchDataLoss(deps, queue);
  let monitors: Monitors | undefined;
  let stopping: Promise<void> | undefined;

  return {
    queue,
    reader,
    store,
    metrics,
    worker,
    reconciler,
    listener,
    async start() {
      await queue.waitUntilReady();
      await upsertReconcileScheduler(queue, settings);
      await worker.start();
      if (settings.reconcileOnStart) await enqueueReconcile(queue, 'startup');
      await gate?.start();
      await dataLoss.start();
      monitors = startMonitors(deps, metrics);
      logger.info(
        {
          queue: queueName,
          concurrency: settings.concurrency,
          reconcileIntervalMs: settings.reconcileIntervalMs,
          listen: settings.listen,
        },
        'universe-sync started',
      );
    },
    stop() {
      stopping ??= stopService({
        monitors,
        gate,
        dataLoss,
        listener,
        worker,
        queue,
        logger,
      });
      return stopping;
    },
    readiness: () =>
      readiness({ redis: deps.redis.command, reader, worker, gate }),
  };
}

/**
 * Timers first, then intake (LISTEN, worker) with running jobs awaited, the
 * queue last. A failed step does not skip the ones after it; its error is
 * thrown at the end.
 */
async function stopService(parts: {
  monitors: Monitors | undefined;
  gate: TriggerGate | undefined;
  dataLoss: { stop(): void };
  listener: NotifyListener | undefined;
  worker: UniverseSyncWorker;
  queue: Queue;
  logger: Logger;
}): Promise<void> {
  const { monitors, gate, listener, worker, queue, logger } = parts;
  monitors?.stopSummary();
  gate?.stop();
  parts.dataLoss.stop();
  monitors?.stopFootprint?.();
  const results = await Promise.allSettled([listener?.stop(), worker.stop()]);
  // Queue.close waits for Redis; with Redis gone it would hold the shutdown.
  await withDeadline(queue.close(), 2000, 'queue close').catch(err =>
    logger.warn({ err }, 'queue close did not finish'),
  );
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

/**
 * The sync jobs and the reconcile, and the worker that runs both. They
 * share one malformed-row reporter so a malformed row is logged once, not
 * once per path.
 */
function createJobs(
  deps: ServiceDeps,
  queueName: string,
  shared: {
    reader: StrategyReader;
    store: UniverseStore;
    metrics: UniverseMetrics;
  },
): { worker: UniverseSyncWorker; reconciler: Reconciler } {
  const { settings, logger, keys } = deps;
  const { reader, store, metrics } = shared;
  const malformed = createMalformedRowReporter({ metrics, logger });
  const syncer = createStrategySyncer({
    reader,
    store,
    redis: deps.redis.command,
    keys,
    metrics,
    logger: logger.child({ component: 'sync' }),
    malformed,
  });
  const reconciler = createReconciler({
    reader,
    store,
    redis: deps.redis.reconcile,
    keys,
    metrics,
    logger: logger.child({ component: 'reconcile' }),
    pageSize: settings.reconcilePageSize,
    fullCheckEvery: settings.reconcileFullCheckEvery,
    malformed,
  });
  const worker = createUniverseSyncWorker({
    connection: deps.redis.worker,
    leaseRedis: deps.redis.command,
    leaseKey: keys.lease('universe-reconcile'),
    prefix: settings.bullmqPrefix,
    queueName,
    concurrency: settings.concurrency,
    syncer,
    reconciler,
    metrics,
    logger: logger.child({ component: 'worker' }),
    hooks: deps.hooks,
    leaseTtlMs: settings.leaseTtlMs,
    deferMs: settings.deferMs,
  });
  return { worker, reconciler };
}

/** LISTEN/NOTIFY and the gate that watches for its trigger; both undefined when LISTEN is off. */
function createListen(
  deps: ServiceDeps,
  queue: Queue,
  metrics: UniverseMetrics,
): { listener?: NotifyListener; gate?: TriggerGate } {
  const { settings, logger } = deps;
  if (!settings.listen) return {};
  const listener = createNotifyListener({
    databaseUrl: settings.databaseUrl,
    channel: settings.notifyChannel,
    onStrategy: id => enqueueUniverseSync(queue, id, 'notify'),
    onResync: why => enqueueReconcile(queue, `notify: ${why}`),
    metrics,
    logger: logger.child({ component: 'listen' }),
    backoffMs: settings.listenBackoffMs,
    maxPending: settings.notifyMaxPending ?? 1000,
  });
  const gate = createTriggerGate({
    pool: deps.pool,
    channel: settings.notifyChannel,
    listener,
    metrics,
    logger: logger.child({ component: 'listen' }),
    onInstalled: () => enqueueReconcile(queue, 'notify: trigger installed'),
    recheckMs: settings.triggerRecheckMs ?? 60_000,
  });
  return { listener, gate };
}

/**
 * The scheduler and every universe live in Redis; after Redis lost its data
 * only this brings them back before the next scheduled run (which the loss
 * removed too).
 */
function watchDataLoss(deps: ServiceDeps, queue: Queue) {
  return createDataLossWatch({
    redis: deps.redis.command,
    keys: deps.keys,
    logger: deps.logger,
    registry: deps.registry,
    onDataLoss: async () => {
      await upsertReconcileScheduler(queue, deps.settings);
      await enqueueReconcile(queue, 'redis data loss');
    },
  });
}

/**
 * Idempotent: every replica upserts the same scheduler at start, and a
 * re-upsert with the same interval keeps the pending run's time. A new
 * scheduler would fire at once; startDate defers its first run by one
 * interval because start-up (and data-loss recovery) runs its own reconcile.
 */
function upsertReconcileScheduler(
  queue: Queue,
  settings: ServiceSettings,
): Promise<unknown> {
  return queue.upsertJobScheduler(
    RECONCILE_SCHEDULER_ID,
    {
      every: settings.reconcileIntervalMs,
      startDate: Date.now() + settings.reconcileIntervalMs,
    },
    {
      name: JOB_NAMES.reconcile,
      data: { kind: 'reconcile', reason: 'schedule' },
      opts: RECONCILE_JOB_OPTIONS,
    },
  );
}

/** The periodic counter summary and footprint sampler, stopped separately (see `stop`). */
interface Monitors {
  stopSummary: () => void;
  stopFootprint?: () => void;
}

function startMonitors(deps: ServiceDeps, metrics: UniverseMetrics): Monitors {
  const { settings, logger } = deps;
  const stopSummary = startCounterSummary({
    logger,
    registry: deps.registry,
    counters: SUMMARY_COUNTERS,
    intervalMs: settings.summaryIntervalMs,
  });
  if (settings.footprintBudgetBytes)
    metrics.footprintBudget.set(settings.footprintBudgetBytes);
  if (!settings.footprintIntervalMs) return { stopSummary };
  const stopFootprint = startFootprintSampler({
    redis: deps.redis.command,
    keys: deps.keys,
    bullmqPrefix: settings.bullmqPrefix,
    intervalMs: settings.footprintIntervalMs,
    gauge: metrics.footprint,
    logger: logger.child({ component: 'footprint' }),
    onError: () => metrics.errors.inc({ where: 'footprint' }),
  });
  return { stopSummary, stopFootprint };
}

async function readiness(parts: {
  redis: RedisClient;
  reader: StrategyReader;
  worker: UniverseSyncWorker;
  gate: TriggerGate | undefined;
}): Promise<Record<string, CheckResult>> {
  const check = async (fn: () => Promise<unknown>): Promise<CheckResult> => {
    try {
      await withDeadline(fn(), CHECK_TIMEOUT_MS, 'check');
      return { ok: true };
    } catch (err) {
      return {
        ok: false,
        detail: 'unreachable',
        error: (err as Error).message,
      };
    }
  };
  const [redis, postgres] = await Promise.all([
    redisCheck(parts.redis),
    check(() => parts.reader.ping()),
  ]);
  const checks: Record<string, CheckResult> = {
    redis,
    postgres,
    worker: { ok: parts.worker.isRunning() },
  };
  checks.listen = parts.gate?.check() ?? {
    ok: true,
    detail: 'off (LISTEN_NOTIFY=false)',
  };
  return checks;
}
