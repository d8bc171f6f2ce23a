import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect } from 'node:net';
import {
  closeRedis,
  createKeys,
  createLogger,
  createRedis,
  type Logger,
  type RedisClient,
  type RedisKeys,
  type RedisTarget,
} from '@tickpulse/shared';
import {
  deletePrefix,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  testRedis,
  uniqueName,
  uniquePrefix,
} from '@tickpulse/testkit';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { Registry } from 'prom-client';
import { createPgPool } from '../src/db';
import { migrate } from '../src/migrations';
import {
  createUniverseSyncService,
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

/** A connection string whose sessions use `schema` as search_path. */
export function urlWithSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

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
  const schema = `tp_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = urlWithSchema(TEST_DATABASE_URL, schema);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
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
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** One universe-sync replica on an isolated prefix / queue, against a test schema. */
export interface TestReplica {
  service: UniverseSyncService;
  redis: {
    command: RedisClient;
    producer: RedisClient;
    worker: RedisClient;
    reconcile: RedisClient;
  };
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
  await Promise.all(
    Object.values(redis).map(
      c =>
        new Promise<void>(resolve =>
          c.status === 'ready' ? resolve() : c.once('ready', () => resolve()),
        ),
    ),
  );
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

/** A TCP proxy to PostgreSQL that a test can cut and restore (the shared server is never touched). */
export interface PgProxy {
  url: (schema: string) => string;
  port: number;
  /** Closes the listener and every open connection. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startPgProxy(): Promise<PgProxy> {
  const target = new URL(TEST_DATABASE_URL);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer(client => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        sockets.add(client);
        sockets.add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const a = server!.address();
        port = typeof a === 'object' && a ? a.port : port;
        resolve();
      });
    });
  const down = async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    const s = server;
    server = undefined;
    if (s) await new Promise<void>(resolve => s.close(() => resolve()));
  };
  await up();
  return {
    get port() {
      return port;
    },
    url: schema => {
      const u = new URL(TEST_DATABASE_URL);
      u.port = String(port);
      u.hostname = '127.0.0.1';
      return urlWithSchema(u.toString(), schema);
    },
    down,
    up,
    close: down,
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
