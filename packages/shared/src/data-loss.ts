import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { RedisKeys } from './keys.js';

/** How often each process checks the marker (one GET): data loss is noticed within this. */
export const DATA_LOSS_CHECK_MS = 5000;

/** Counter name, the same in every app that watches (apps tell apart by their scrape job). */
export const DATA_LOSS_METRIC = 'tickpulse_redis_data_loss_total';

/** A running data-loss watch. */
export interface DataLossWatch {
  /** Creates the marker if missing, remembers its epoch and starts checking. */
  start(): Promise<void>;
  /** Stops checking; an in-flight recovery finishes on its own. Idempotent. */
  stop(): void;
  /**
   * Runs one check now (what the timer does); resolves after any recovery:
   * true when this check found a loss, false when the data set is the one
   * seen before, null when Redis could not be asked.
   */
  check(): Promise<boolean | null>;
}

/**
 * Watches Redis for the loss of its data set — a restart without
 * persistence, a FLUSHALL, a failover to an empty replica — and calls
 * `onDataLoss` once per loss so the process can rebuild what it created only
 * at start (job schedulers, universes, TICK:UPD).
 *
 * How: a marker key (`keys.dataEpoch()`) holds a random epoch. Every process
 * creates it if missing (`SET NX`) and remembers the value; a later check
 * that finds it gone, or holding another epoch (another process noticed
 * first and re-created it), means the data set was replaced. The server's
 * `run_id` would not do: it changes on every restart even when persistence
 * kept the data (a false alarm), stays the same across FLUSHALL (a miss),
 * and differs on a failover to a fully synced replica. The marker is
 * replicated with the data, so it answers exactly "is this the data set I
 * started on". It costs one GET per check; a Redis error skips the check
 * (an outage is not a loss; the first check after it tells).
 *
 * A recovery that throws is retried at the next check until it succeeds.
 */
export function createDataLossWatch(deps: {
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  registry: Registry;
  /** Rebuilds what the loss took; must be idempotent (several replicas run it). */
  onDataLoss: () => Promise<void>;
  checkIntervalMs?: number;
}): DataLossWatch {
  const key = deps.keys.dataEpoch();
  const log = deps.logger.child({ component: 'data-loss' });
  const events = new Counter({
    name: DATA_LOSS_METRIC,
    help: 'Redis data losses noticed by this process (marker key gone or replaced: restart without persistence, FLUSHALL, failover to an empty replica)',
    registers: [deps.registry],
  });
  const every = deps.checkIntervalMs ?? DATA_LOSS_CHECK_MS;
  let epoch: string | null = null;
  let recoveryPending = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<boolean | null> | undefined;

  const currentEpoch = async (): Promise<string> => {
    const value = await deps.redis.get(key);
    if (value !== null) return value;
    await deps.redis.set(key, randomUUID(), 'NX');
    return (await deps.redis.get(key)) ?? '';
  };

  const recover = async () => {
    try {
      await deps.onDataLoss();
      recoveryPending = false;
      log.info('rebuilt after Redis data loss');
    } catch (err) {
      log.error({ err }, 'rebuild after Redis data loss failed; retrying');
    }
  };

  const checkOnce = async (): Promise<boolean | null> => {
    let now: string;
    try {
      now = await currentEpoch();
    } catch {
      return null;
    }
    const lost = epoch !== null && now !== epoch;
    if (lost) {
      events.inc();
      recoveryPending = true;
      log.warn(
        { previousEpoch: epoch, epoch: now },
        'Redis lost its data (marker key gone or replaced); rebuilding',
      );
    }
    epoch = now;
    if (recoveryPending) await recover();
    return lost;
  };

  const check = () =>
    (running ??= checkOnce().finally(() => (running = undefined)));

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void check().finally(schedule), every);
    timer.unref();
  };

  return {
    async start() {
      // Redis unreachable at start: the first check that reaches it sets the epoch.
      epoch = await currentEpoch().catch(() => null);
      schedule();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    check,
  };
}
