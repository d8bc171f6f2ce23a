import { closeRedis, createRedis, waitForRedisReady } from '@tickpulse/redis';
import { redisTarget, type Logger } from '@tickpulse/service-kit';
import type pg from 'pg';
import type { Config } from './config.js';
import { createPgPool } from './db.js';
import type { ServiceRedis } from './service.js';

/** The part of the config the connections read. */
export type ConnectionsConfig = Pick<
  Config,
  | 'REDIS_URL'
  | 'REDIS_SENTINELS'
  | 'REDIS_SENTINEL_NAME'
  | 'REDIS_SENTINEL_PASSWORD'
  | 'REDIS_CLUSTER_NODES'
  | 'REDIS_USERNAME'
  | 'REDIS_PASSWORD'
  | 'DATABASE_URL'
  | 'PG_POOL_MAX'
  | 'PG_CONNECT_TIMEOUT'
>;

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
  config: ConnectionsConfig,
  logger: Logger,
  onPgIdleError: () => void,
): Connections {
  const target = redisTarget(config);
  const connect = (
    role: 'worker' | 'producer' | 'command',
    name: string,
    autoResend = true,
  ) => createRedis(target, { role, logger, name, autoResend });
  const redis = {
    command: connect('command', 'universe-command'),
    producer: connect('producer', 'universe-producer'),
    worker: connect('worker', 'universe-worker'),
    reconcile: connect('producer', 'universe-reconcile', false),
  };
  const pool = createPgPool({
    url: config.DATABASE_URL,
    max: config.PG_POOL_MAX,
    connectTimeoutMs: config.PG_CONNECT_TIMEOUT,
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
