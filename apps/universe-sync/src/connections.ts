import { closeRedis, createRedis, waitForRedisReady } from '@tickpulse/redis';
import type { Logger, RedisTarget } from '@tickpulse/service-kit';
import type pg from 'pg';
import { createPgPool } from './db.js';
import type { ServiceRedis } from './service.js';

/** Where the connections go (`universeSyncOptions` maps them from the config). */
export interface ConnectionOptions {
  redis: RedisTarget;
  postgres: { url: string; max: number; connectTimeoutMs: number };
}

/** universe-sync's four Redis connections (see createUniverseSyncService) and its PostgreSQL pool. */
export interface Connections {
  redis: ServiceRedis;
  pool: pg.Pool;
  /** Resolves once the fail-fast connections can take commands. */
  ready(): Promise<void>;
  closeRedis(): Promise<void>;
}

/**
 * Opens the connections, one per role: plain commands, the fail-fast
 * producer, the BullMQ worker's, and reconcile's own (whose WATCH must not be
 * lost to a resend on a new connection).
 *
 * @param onPgIdleError counts an idle pool client's failure (the pool logs it).
 */
export function openConnections(
  options: ConnectionOptions,
  logger: Logger,
  onPgIdleError: () => void,
): Connections {
  const connect = (
    role: 'worker' | 'producer' | 'command',
    name: string,
    autoResend = true,
  ) => createRedis(options.redis, { role, logger, name, autoResend });
  const redis = {
    command: connect('command', 'universe-command'),
    producer: connect('producer', 'universe-producer'),
    worker: connect('worker', 'universe-worker'),
    reconcile: connect('producer', 'universe-reconcile', false),
  };
  const pool = createPgPool({
    ...options.postgres,
    logger: logger.child({ component: 'pg' }),
    onIdleError: onPgIdleError,
  });
  return {
    redis,
    pool,
    async ready() {
      await Promise.all([
        waitForRedisReady(redis.producer),
        waitForRedisReady(redis.reconcile),
      ]);
    },
    async closeRedis() {
      await Promise.all(Object.values(redis).map(c => closeRedis(c)));
    },
  };
}
