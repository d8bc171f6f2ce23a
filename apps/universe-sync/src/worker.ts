import {
  InvalidJobError,
  parseUniverseSyncJob,
  QUEUE_NAMES,
  type UniverseSyncJob,
  UNIVERSE_SYNC_KEEP_FAILED,
} from '@tickpulse/contracts';
import { createLease, type Lease, type RedisClient } from '@tickpulse/redis';
import { type Logger, logEvery } from '@tickpulse/service-kit';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { UniverseMetrics } from './metrics.js';
import type { Reconciler, ReconcileSummary } from './reconcile.js';
import type { StrategySyncer, StrategySyncResult } from './strategy-sync.js';

/** Test seams: let a test hold a job inside the processor. */
export interface WorkerHooks {
  /** Awaited after the payload is validated and before the row is read. */
  beforeStrategySync?(strategyId: number, job: Job): Promise<void> | void;
  /** Awaited after the strategy's row is read and before Redis is written. */
  afterStrategyRead?(strategyId: number, job: Job): Promise<void> | void;
  /** Called when a strategy job's processing ends (success or failure). */
  afterStrategySync?(strategyId: number, job: Job): void;
  /** Awaited once the reconcile lease is held, before the run. */
  beforeReconcile?(job: Job): Promise<void> | void;
  /** Called after a reconcile run, while the lease is still held. */
  afterReconcile?(summary: ReconcileSummary): void;
}

/** The `universe-sync` queue consumer. */
export interface UniverseSyncWorker {
  start(): Promise<void>;
  /** Stops fetching and waits for running jobs (bounded by the caller's deadline). */
  stop(): Promise<void>;
  isRunning(): boolean;
}

/** How long the reconcile lease survives a replica that stops renewing it. */
export const RECONCILE_LEASE_TTL_MS = 60_000;
/** A reconcile that finds the lease taken is retried this much later. */
export const RECONCILE_DEFER_MS = 5_000;

/**
 * Creates the worker. Job payloads are validated first: a malformed job
 * fails at once with the reason, is not retried (UnrecoverableError) and is
 * kept for inspection. A strategy job reads the row and writes Redis; any
 * failure (PostgreSQL or Redis away) is thrown so BullMQ retries it with the
 * job's backoff. A reconcile runs only while this replica holds the
 * cluster-wide reconcile lease; otherwise the job is postponed, not dropped,
 * so a requested reconcile always runs after the request.
 */
export function createUniverseSyncWorker(deps: {
  connection: RedisClient;
  /** Connection for the lease (not the worker's blocking one). */
  leaseRedis: RedisClient;
  leaseKey: string;
  prefix: string;
  queueName?: string;
  concurrency: number;
  syncer: StrategySyncer;
  reconciler: Reconciler;
  metrics: UniverseMetrics;
  logger: Logger;
  hooks?: WorkerHooks;
  leaseTtlMs?: number;
  deferMs?: number;
}): UniverseSyncWorker {
  const { metrics, logger, hooks = {} } = deps;
  const leaseTtlMs = deps.leaseTtlMs ?? RECONCILE_LEASE_TTL_MS;
  const deferMs = deps.deferMs ?? RECONCILE_DEFER_MS;
  let worker: Worker | undefined;
  let stopping: Promise<void> | undefined;

  async function runReconcile(
    job: Job,
    token: string | undefined,
  ): Promise<ReconcileSummary | { deferred: true }> {
    const lease: Lease = createLease(
      deps.leaseRedis,
      deps.leaseKey,
      leaseTtlMs,
    );
    if (!(await lease.acquire())) {
      metrics.reconcileRuns.inc({ result: 'deferred' });
      logger.info(
        { jobId: job.id, holder: 'another replica', deferMs },
        'reconcile already running elsewhere; deferred',
      );
      await job.moveToDelayed(Date.now() + deferMs, token);
      throw new DelayedError();
    }
    const abort = new AbortController();
    const renew = setInterval(
      () => {
        lease.renew().then(
          held => {
            if (!held) abort.abort('reconcile lease lost');
          },
          (err: unknown) => {
            metrics.errors.inc({ where: 'lease_renew' });
            logger.warn({ err }, 'reconcile lease renewal failed');
          },
        );
      },
      Math.max(leaseTtlMs / 3, 100),
    );
    try {
      await hooks.beforeReconcile?.(job);
      const summary = await deps.reconciler.run(abort.signal);
      hooks.afterReconcile?.(summary);
      metrics.reconcileRuns.inc({ result: 'ok' });
      return summary;
    } catch (err) {
      metrics.reconcileRuns.inc({ result: 'failed' });
      throw err;
    } finally {
      clearInterval(renew);
      await lease.release().catch((err: unknown) => {
        metrics.errors.inc({ where: 'lease_release' });
        logger.warn(
          { err },
          'reconcile lease release failed; it expires by itself',
        );
      });
    }
  }

  async function process(
    job: Job,
    token?: string,
  ): Promise<StrategySyncResult | ReconcileSummary | { deferred: true }> {
    let data: UniverseSyncJob;
    try {
      data = parseUniverseSyncJob(job.data);
    } catch (err) {
      metrics.syncJobs.inc({ kind: 'unknown', result: 'invalid' });
      const reason = err instanceof InvalidJobError ? err.message : String(err);
      logger.error(
        { jobId: job.id, jobName: job.name, reason },
        'invalid universe-sync job; failed without retry',
      );
      throw new UnrecoverableError(reason);
    }

    const end = metrics.syncDuration.startTimer({ kind: data.kind });
    try {
      if (data.kind === 'strategy') {
        const id = data.strategyId;
        let result: StrategySyncResult;
        try {
          await hooks.beforeStrategySync?.(id, job);
          result = await deps.syncer.sync(
            id,
            hooks.afterStrategyRead &&
              (() => hooks.afterStrategyRead!(id, job)),
          );
        } finally {
          hooks.afterStrategySync?.(id, job);
        }
        metrics.syncJobs.inc({ kind: 'strategy', result: 'ok' });
        logger.debug(
          {
            jobId: job.id,
            strategyId: data.strategyId,
            reason: data.reason,
            ...result,
          },
          'strategy universe synced',
        );
        return result;
      }
      const summary = await runReconcile(job, token);
      metrics.syncJobs.inc({ kind: 'reconcile', result: 'ok' });
      return summary;
    } catch (err) {
      if (err instanceof DelayedError) {
        metrics.syncJobs.inc({ kind: data.kind, result: 'deferred' });
        throw err;
      }
      metrics.syncJobs.inc({ kind: data.kind, result: 'error' });
      logger.warn(
        {
          err,
          jobId: job.id,
          kind: data.kind,
          strategyId: data.kind === 'strategy' ? data.strategyId : undefined,
          attempt: job.attemptsMade + 1,
          attempts: job.opts.attempts ?? 1,
        },
        'universe-sync job failed; BullMQ retries it with backoff while attempts remain',
      );
      throw err;
    } finally {
      end();
    }
  }

  return {
    async start() {
      if (worker) return;
      worker = new Worker(deps.queueName ?? QUEUE_NAMES.universeSync, process, {
        connection: deps.connection,
        prefix: deps.prefix,
        concurrency: deps.concurrency,
        // For jobs added without options (by hand, or by an older producer).
        removeOnComplete: { count: 0 },
        removeOnFail: UNIVERSE_SYNC_KEEP_FAILED,
      });
      // During a Redis outage BullMQ reports an error per retry: count
      // each, log one line per 10 s.
      const warnWorker = logEvery(10_000);
      worker.on('error', err => {
        metrics.errors.inc({ where: 'worker' });
        warnWorker(suppressed =>
          logger.warn({ err, suppressed }, 'universe-sync worker error'),
        );
      });
      await worker.waitUntilReady();
    },
    stop() {
      stopping ??= (async () => {
        if (worker) await worker.close();
      })();
      return stopping;
    },
    isRunning: () => worker?.isRunning() ?? false,
  };
}
