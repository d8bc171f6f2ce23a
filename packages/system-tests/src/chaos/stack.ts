import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPolygonSim, type PolygonSim } from '@tickpulse/polygon-sim';
import { createKeys, QUEUE_NAMES, type RedisKeys } from '@tickpulse/contracts';
import {
  createTestSchema,
  TEST_DATABASE_URL,
  startPrivateRedis,
  startTcpProxy,
  testRedis,
  type TcpProxy,
  type PrivateRedis,
  uniqueName,
  uniquePrefix,
  waitFor,
} from '@tickpulse/testkit';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Client } from 'pg';
import {
  createSystem,
  REPO_ROOT,
  type AppProcess,
  type System,
} from '../harness.js';
import type { ChaosSettings } from './settings.js';
import { createStrategyTable, type StrategyTable } from './strategy-table.js';

const run = promisify(execFile);
const hex = (n: number) => randomBytes(n).toString('hex');

/** Generated credentials; the secret check greps every log for each value. */
export interface ChaosSecrets {
  polygonKey: string;
  apiToken: string;
  redisPassword: string;
  pgPassword: string;
}

/** The app processes of the stack. */
export interface ChaosApps {
  ingestA: AppProcess;
  ingestB: AppProcess;
  writer: AppProcess;
  usync: AppProcess;
}

/**
 * The whole system under test, running, plus the queries faults and checks
 * share. Every handle is private to this run (own redis-server, key prefix,
 * BullMQ prefix, PostgreSQL schema and NOTIFY channel), so faults disturb no
 * other test on the machine.
 */
export interface ChaosStack {
  readonly settings: ChaosSettings;
  readonly secrets: ChaosSecrets;
  readonly keys: RedisKeys;
  readonly redisServer: PrivateRedis;
  /** The suite's own Redis client; it rides out the restarts. */
  readonly redis: Redis;
  /** universe-sync reaches PostgreSQL only through this proxy, so it can be cut. */
  readonly proxy: TcpProxy;
  readonly sim: PolygonSim;
  readonly system: System;
  readonly apps: ChaosApps;
  /**
   * Every ingest process, the extra standbys a fault adds included: any of
   * them may hold the lease, run a backfill or hold unpublished ticks.
   */
  ingests(): AppProcess[];
  readonly ticksQueue: Queue;
  readonly syncQueue: Queue;
  readonly strategies: StrategyTable;
  /** The suite's superuser connection to PostgreSQL (roles, NOTIFY). */
  readonly pg: Client;
  /** The PostgreSQL schema holding `strategies`. */
  readonly pgSchema: string;
  /** The channel universe-sync LISTENs on and the trigger NOTIFYs. */
  readonly notifyChannel: string;
  /** stdout + stderr of the schema migration (also grepped for secrets). */
  readonly migrateOutput: string;
  /** A metric of a running process; 0 while it is down or does not answer. */
  metricOr0(
    p: AppProcess,
    name: string,
    labels?: Record<string, string>,
  ): Promise<number>;
  /** A metric summed over every running ingest process. */
  sumIngest(name: string, labels?: Record<string, string>): Promise<number>;
  /** The ingest process holding the lease, if any. */
  leader(): Promise<AppProcess | undefined>;
  /** A running ingest process that is not the leader. */
  standby(): Promise<AppProcess | undefined>;
  /** A member's score in TICK:UPD, null when absent or Redis is down. */
  zscore(member: string): Promise<number | null>;
  /** An authenticated request to universe-sync's API (POST `{}` unless `init` says otherwise). */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Stops everything the stack started; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts Redis, the schema, the proxy, the simulator and the four apps, and
 * waits until one ingest streams. On a failure part-way everything already
 * started is torn down before the error is rethrown.
 */
export async function startChaosStack(
  settings: ChaosSettings,
): Promise<ChaosStack> {
  const secrets: ChaosSecrets = {
    polygonKey: `pk_${hex(12)}`,
    apiToken: `tok_${hex(16)}`,
    redisPassword: `rpw_${hex(12)}`,
    pgPassword: `pgpw_${hex(12)}`,
  };
  const keyPrefix = uniquePrefix('chaos');
  const bullPrefix = uniqueName('chaosq');
  const keys = createKeys(keyPrefix);
  const channel = `tp_chaos_${hex(4)}`;

  // Undone in reverse order; a failing step must not keep the others from running.
  const cleanups: (() => unknown)[] = [];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const c of cleanups.reverse())
        await Promise.resolve()
          .then(c)
          .catch(() => undefined);
    })());

  try {
    const redisServer = await startPrivateRedis([
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--requirepass',
      secrets.redisPassword,
    ]);
    cleanups.push(() => redisServer.stop());
    const redis = testRedis(redisServer.url);
    // The assertion client rides out the Redis restarts; its errors are expected.
    redis.on('error', () => undefined);
    cleanups.push(() => redis.disconnect());

    const pgSchema = await createTestSchema({ label: 'tp_chaos' });
    cleanups.push(() => pgSchema.drop());
    const schema = pgSchema.name;
    const admin = new Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    cleanups.push(() => admin.end());

    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    cleanups.push(() => proxy.close());
    // trust auth ignores the password; it is there so the secret check can look for it.
    const databaseUrl =
      `postgres://postgres:${secrets.pgPassword}@127.0.0.1:${proxy.port}/postgres` +
      `?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const migrated = await run(
      process.execPath,
      [join(REPO_ROOT, 'apps/universe-sync/dist/migrate.js'), '--schema'],
      {
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: databaseUrl,
          PG_NOTIFY_CHANNEL: channel,
          REDIS_URL: redisServer.url,
          API_TOKEN: secrets.apiToken,
        },
        cwd: REPO_ROOT,
      },
    );

    const strategies = createStrategyTable(admin, schema, 7);
    for (let id = 1; id <= settings.strategyCount; id++)
      await strategies.insert(
        id,
        strategies.random() < 0.8,
        strategies.randomUniverse(),
      );

    const sim = createPolygonSim({
      rate: settings.simRate,
      tickers: 3000,
      apiKeys: [secrets.polygonKey],
      maxEventsPerFrame: 500,
    });
    await sim.listen(0);
    cleanups.push(() => sim.close());

    const system = createSystem({
      REDIS_URL: redisServer.url,
      REDIS_KEY_PREFIX: keyPrefix,
      BULLMQ_PREFIX: bullPrefix,
    });
    cleanups.push(() => system.killAll());
    const apps = await addApps(system, settings, secrets, {
      simUrl: sim.url(),
      databaseUrl,
      channel,
    });
    await Promise.all([apps.writer.start(), apps.usync.start()]);
    await apps.ingestA.start();
    await apps.ingestB.start();

    const connection = { url: redisServer.url, maxRetriesPerRequest: null };
    const ticksQueue = new Queue(QUEUE_NAMES.ticks, {
      connection,
      prefix: bullPrefix,
    });
    const syncQueue = new Queue(QUEUE_NAMES.universeSync, {
      connection,
      prefix: bullPrefix,
    });
    for (const q of [ticksQueue, syncQueue]) {
      q.on('error', () => undefined);
      cleanups.push(() => q.close());
    }

    await waitFor(() => sim.stats().subscribed === 1, {
      timeoutMs: 60_000,
      what: 'an ingest leader streaming',
    });

    const ingests = () => system.all().filter(p => p.app === 'ingest');
    const metricOr0 = async (
      p: AppProcess,
      name: string,
      labels?: Record<string, string>,
    ) => (p.running() ? p.metric(name, labels).catch(() => 0) : 0);
    const leader = async () => {
      for (const p of ingests())
        if ((await metricOr0(p, 'tickpulse_ingest_leader')) === 1) return p;
      return undefined;
    };
    return {
      settings,
      secrets,
      keys,
      redisServer,
      redis,
      proxy,
      sim,
      system,
      apps,
      ingests,
      ticksQueue,
      syncQueue,
      strategies,
      pg: admin,
      pgSchema: schema,
      notifyChannel: channel,
      migrateOutput: migrated.stdout + migrated.stderr,
      metricOr0,
      sumIngest: async (name, labels) =>
        (
          await Promise.all(ingests().map(p => metricOr0(p, name, labels)))
        ).reduce((a, b) => a + b, 0),
      leader,
      standby: async () => {
        const l = await leader();
        return ingests().find(p => p !== l && p.running());
      },
      zscore: async member => {
        const s = await redis.zscore(keys.tickUpd(), member).catch(() => null);
        return s === null ? null : Number(s);
      },
      api: (path, init = {}) =>
        fetch(`http://127.0.0.1:${apps.usync.port}${path}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${secrets.apiToken}`,
            'content-type': 'application/json',
          },
          body: '{}',
          ...init,
        }),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Declares the four apps with intervals short enough that every fault is
 * detected and recovered within seconds.
 */
async function addApps(
  system: System,
  settings: ChaosSettings,
  secrets: ChaosSecrets,
  urls: { simUrl: string; databaseUrl: string; channel: string },
): Promise<ChaosApps> {
  const ingestEnv = {
    POLYGON_API_KEY: secrets.polygonKey,
    POLYGON_WS_URL: urls.simUrl,
    FLUSH_INTERVAL_MS: '50',
    PUBLISH_TIMEOUT_MS: '1000',
    LEASE_TTL_MS: String(settings.leaseTtlMs),
    LEASE_POLL_MS: '250',
    RECONNECT_MIN_MS: '200',
    RECONNECT_MAX_MS: '2000',
    HEALTHY_AFTER_MS: '2000',
    PING_INTERVAL_MS: '1000',
    READ_TIMEOUT_MS: '3000',
    MAX_CONNECTIONS_COOLDOWN_MS: '2000',
    SUMMARY_INTERVAL: '10s',
    SHUTDOWN_FLUSH_MS: '5000',
    // Oracle rounds carry trade times up to 30 s old (late prints): gap
    // healing must reach back past them to make every round exact.
    BACKFILL_MARGIN_MS: '45000',
    BACKFILL_RETRY_MIN_MS: '100',
    BACKFILL_CONCURRENCY: '8',
    MAX_TICKERS: String(settings.ingestMaxTickers),
  };
  return {
    ingestA: await system.add('ingest-a', 'ingest', ingestEnv),
    ingestB: await system.add('ingest-b', 'ingest', ingestEnv),
    writer: await system.add('tick-writer', 'tick-writer', {
      TICK_WRITER_LOCK_DURATION_MS: '1000',
      TICK_WRITER_STALLED_INTERVAL_MS: '500',
      TICK_WRITER_DRAIN_TIMEOUT_MS: '5000',
      SUMMARY_INTERVAL: '10s',
    }),
    usync: await system.add('universe-sync', 'universe-sync', {
      DATABASE_URL: urls.databaseUrl,
      API_TOKEN: secrets.apiToken,
      PG_NOTIFY_CHANNEL: urls.channel,
      LISTEN_NOTIFY: 'true',
      PG_CONNECT_TIMEOUT: '2s',
      RECONCILE_INTERVAL: settings.reconcileInterval,
    }),
  };
}
