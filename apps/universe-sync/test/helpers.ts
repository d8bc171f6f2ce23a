import { createKeys, type RedisKeys } from '@tickpulse/contracts';
import { closeRedis, createRedis, waitForRedisReady } from '@tickpulse/redis';
import {
  createLogger,
  type Logger,
  type RedisTarget,
} from '@tickpulse/service-kit';
import {
  createTestSchema,
  deletePrefix,
  startTcpProxy,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  testRedis,
  throughProxy,
  uniqueName,
  uniquePrefix,
  urlWithSchema,
  type TcpProxy,
} from '@tickpulse/testkit';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { Registry } from 'prom-client';
import { createPgPool } from '../src/db';
import { migrate } from '../src/migrations';
import {
  createUniverseSyncService,
  type ServiceRedis,
  type ServiceSettings,
  type UniverseSyncService,
} from '../src/service';
import type { WorkerHooks } from '../src/worker';

/** A silent logger (set TEST_LOG=debug to see the service's lines). */
export const testLogger = (): Logger =>
  createLogger({
    service: 'universe-sync-test',
    level: process.env.TEST_LOG ?? 'silent',
  });

/** A private PostgreSQL schema with the `strategies` table (and the trigger when asked). */
export interface TestDb {
  schema: string;
  url: string;
  /** A pool on the schema, for the test's own inserts and updates. */
  pool: pg.Pool;
  insert(active: boolean, universe: (string | null)[] | null): Promise<number>;
  update(
    id: number,
    active: boolean,
    universe: (string | null)[] | null,
  ): Promise<void>;
  remove(id: number): Promise<void>;
  drop(): Promise<void>;
}

export async function createTestDb(
  opts: { trigger?: boolean; channel?: string } = {},
): Promise<TestDb> {
  const db = await createTestSchema();
  const { name: schema, url, pool } = db;
  const client = await pool.connect();
  try {
    await migrate(client, {
      schema: true,
      trigger: opts.trigger ?? false,
      uninstall: false,
      channel: opts.channel ?? 'tickpulse_strategies',
    });
  } finally {
    client.release();
  }
  return {
    schema,
    url,
    pool,
    async insert(active, universe) {
      const { rows } = await pool.query<{ strategyid: number }>(
        'INSERT INTO strategies (alertactive, alert_universe_full) VALUES ($1, $2) RETURNING strategyid',
        [active, universe],
      );
      return rows[0]!.strategyid;
    },
    async update(id, active, universe) {
      await pool.query(
        'UPDATE strategies SET alertactive = $2, alert_universe_full = $3 WHERE strategyid = $1',
        [id, active, universe],
      );
    },
    async remove(id) {
      await pool.query('DELETE FROM strategies WHERE strategyid = $1', [id]);
    },
    drop: db.drop,
  };
}

/** One universe-sync replica on an isolated prefix / queue, against a test schema. */
export interface TestReplica {
  service: UniverseSyncService;
  redis: ServiceRedis;
  pool: pg.Pool;
  registry: Registry;
  stop(): Promise<void>;
}

export async function startReplica(opts: {
  databaseUrl: string;
  keys: RedisKeys;
  bullmqPrefix: string;
  queueName: string;
  settings?: Partial<ServiceSettings>;
  hooks?: WorkerHooks;
  /** A URL, or a Sentinel / Cluster target; default the shared test Redis. */
  redisUrl?: string | RedisTarget;
  start?: boolean;
  /** The service's logger (default: silent). */
  logger?: Logger;
}): Promise<TestReplica> {
  const logger = opts.logger ?? testLogger();
  const url: RedisTarget | string = opts.redisUrl ?? TEST_REDIS_URL;
  const redis = {
    command: createRedis(url, {
      role: 'command',
      logger,
      name: 'test-command',
    }),
    producer: createRedis(url, {
      role: 'producer',
      logger,
      name: 'test-producer',
    }),
    worker: createRedis(url, { role: 'worker', logger, name: 'test-worker' }),
    reconcile: createRedis(url, {
      role: 'producer',
      logger,
      name: 'test-reconcile',
      autoResend: false,
    }),
  };
  await Promise.all(Object.values(redis).map(c => waitForRedisReady(c)));
  const pool = createPgPool({
    url: opts.databaseUrl,
    max: 4,
    connectTimeoutMs: 2000,
    logger,
  });
  const registry = new Registry();
  const service = createUniverseSyncService({
    settings: {
      bullmqPrefix: opts.bullmqPrefix,
      queueName: opts.queueName,
      concurrency: 4,
      reconcileIntervalMs: 3_600_000,
      reconcileOnStart: false,
      reconcilePageSize: 100,
      listen: false,
      databaseUrl: opts.databaseUrl,
      notifyChannel: 'tickpulse_strategies',
      deferMs: 200,
      ...opts.settings,
    },
    logger,
    registry,
    keys: opts.keys,
    redis,
    pool,
    hooks: opts.hooks,
  });
  if (opts.start !== false) await service.start();
  let stopping: Promise<void> | undefined;
  return {
    service,
    redis,
    pool,
    registry,
    stop() {
      stopping ??= (async () => {
        await service.stop();
        await pool.end();
        await Promise.all(Object.values(redis).map(c => closeRedis(c)));
      })();
      return stopping;
    },
  };
}

/** An isolated Redis namespace plus BullMQ queue, cleaned up afterwards. */
export interface TestNamespace {
  prefix: string;
  keys: RedisKeys;
  bullmqPrefix: string;
  queueName: string;
  redis: Redis;
  cleanup(): Promise<void>;
}

export function createNamespace(): TestNamespace {
  const prefix = uniquePrefix('us');
  const bullmqPrefix = uniqueName('bull-us');
  const redis = testRedis();
  return {
    prefix,
    keys: createKeys(prefix),
    bullmqPrefix,
    queueName: 'universe-sync',
    redis,
    async cleanup() {
      await deletePrefix(redis, prefix);
      await deletePrefix(redis, `${bullmqPrefix}:`);
      redis.disconnect();
    },
  };
}

/** Sorted members of a strategy's set (empty when missing). */
export async function members(
  redis: Redis,
  keys: RedisKeys,
  id: number,
): Promise<string[]> {
  return (await redis.smembers(keys.stratUniv(id))).sort();
}

/** A cuttable proxy to the test PostgreSQL (the shared server is never touched). */
export interface PgProxy extends TcpProxy {
  /** The URL of `schema` through the proxy. */
  url(schema: string): string;
}

export async function startPgProxy(): Promise<PgProxy> {
  const target = new URL(TEST_DATABASE_URL);
  const proxy = await startTcpProxy({
    host: target.hostname,
    port: Number(target.port || 5432),
  });
  return {
    ...proxy,
    url: schema =>
      urlWithSchema(throughProxy(TEST_DATABASE_URL, proxy), schema),
  };
}

/** A gate a hook can wait on until the test opens it. */
export function gate(): {
  wait: Promise<void>;
  open: () => void;
  entered: Promise<void>;
  enter: () => void;
} {
  let open!: () => void;
  let enter!: () => void;
  const wait = new Promise<void>(r => (open = r));
  const entered = new Promise<void>(r => (enter = r));
  return { wait, open, entered, enter };
}
