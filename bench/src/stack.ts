import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  freePort,
  startPrivateRedis,
  uniqueName,
  uniquePrefix,
  type PrivateRedis,
} from '@tickpulse/testkit';
import type { BenchOutcome } from './context.js';
import { spawnApp, waitHttp, type App } from './procs.js';
import { REPO_ROOT } from './results.js';

export const SIM_MAIN = 'apps/polygon-sim/dist/main.js';
export const INGEST_MAIN = 'apps/ingest/dist/main.js';
export const TICK_WRITER_MAIN = 'apps/tick-writer/dist/main.js';

/** True when an app has been built. */
export const built = (rel: string): boolean => existsSync(join(REPO_ROOT, rel));

/** A skipped outcome naming the first script not built, or null when all are. */
export function skipUnlessBuilt(...scripts: string[]): BenchOutcome | null {
  const missing = scripts.find(s => !built(s));
  return missing === undefined
    ? null
    : {
        data: null,
        markdown: '',
        problems: [],
        summary: '',
        skipped: `${missing} not built`,
      };
}

/** A private redis-server (noeviction; no persistence unless asked) with its pid. */
export interface BenchRedis {
  server: PrivateRedis;
  url: string;
  /** Refreshed after a restart. */
  pid: number;
  client: Redis;
  refreshPid(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Starts a private redis-server for one benchmark. `redis-server` arguments
 * (after the defaults, so they win) let a benchmark ask for persistence.
 */
export async function startBenchRedis(
  extraArgs: string[] = [],
): Promise<BenchRedis> {
  const server = await startPrivateRedis(extraArgs);
  const client = new Redis(server.url, {
    protocol: 2,
    maxRetriesPerRequest: 1,
  });
  // The memory benchmark kills this server on purpose.
  client.on('error', () => undefined);
  const r: BenchRedis = {
    server,
    url: server.url,
    pid: 0,
    client,
    async refreshPid() {
      const info = await client.info('server');
      r.pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
      return r.pid;
    },
    async close() {
      client.disconnect();
      await server.stop();
    },
  };
  await r.refreshPid();
  return r;
}

/** The simulator app on a free port. */
export async function startSim(
  workDir: string,
  env: Record<string, string> = {},
  name = 'polygon-sim',
): Promise<{ app: App; port: number; base: string; ws: string }> {
  const port = await freePort();
  const app = spawnApp(
    name,
    SIM_MAIN,
    {
      HTTP_PORT: String(port),
      SIM_RATE: '0',
      SIM_SESSION: 'regular',
      SIM_SEED: '42',
      ...env,
    },
    workDir,
  );
  const base = `http://127.0.0.1:${port}`;
  await waitHttp(`${base}/healthz`);
  return { app, port, base, ws: `ws://127.0.0.1:${port}/stocks` };
}

/** Namespaces so a run never touches anyone else's keys or queues. */
export function namespaces(): { keyPrefix: string; bullPrefix: string } {
  return {
    keyPrefix: uniquePrefix('bench'),
    bullPrefix: `{${uniqueName('bench')}}`,
  };
}

/**
 * Where the apps find Redis: a standalone URL or a cluster's env
 * (`REDIS_CLUSTER_NODES`, from testkit's `startRedisCluster`).
 */
export type RedisTopology = string | { cluster: Record<string, string> };

/** The app env for a topology; REDIS_URL is blanked on a cluster (an inherited one would conflict). */
export function redisEnv(redis: RedisTopology): Record<string, string> {
  return typeof redis === 'string'
    ? { REDIS_URL: redis }
    : { REDIS_URL: '', ...redis.cluster };
}

/** How an app process is launched: its log name, node flags and binary. */
export interface LaunchOptions {
  name?: string;
  nodeArgs?: string[];
  node?: string;
}

/** ingest, pointed at the simulator and the private Redis. */
export async function startIngest(
  workDir: string,
  opts: {
    wsUrl: string;
    redisUrl: RedisTopology;
    keyPrefix: string;
    bullPrefix: string;
    env?: Record<string, string>;
  } & LaunchOptions,
): Promise<{ app: App; base: string }> {
  const port = await freePort();
  const app = spawnApp(
    opts.name ?? 'ingest',
    INGEST_MAIN,
    {
      HTTP_PORT: String(port),
      POLYGON_WS_URL: opts.wsUrl,
      ...redisEnv(opts.redisUrl),
      REDIS_KEY_PREFIX: opts.keyPrefix,
      BULLMQ_PREFIX: opts.bullPrefix,
      ...opts.env,
    },
    workDir,
    opts.nodeArgs,
    opts.node,
  );
  const base = `http://127.0.0.1:${port}`;
  await waitHttp(`${base}/readyz`);
  return { app, base };
}

/** tick-writer on the same Redis and namespaces. */
export async function startTickWriter(
  workDir: string,
  opts: {
    redisUrl: RedisTopology;
    keyPrefix: string;
    bullPrefix: string;
    env?: Record<string, string>;
  } & LaunchOptions,
): Promise<{ app: App; base: string }> {
  const port = await freePort();
  const app = spawnApp(
    opts.name ?? 'tick-writer',
    TICK_WRITER_MAIN,
    {
      HTTP_PORT: String(port),
      ...redisEnv(opts.redisUrl),
      REDIS_KEY_PREFIX: opts.keyPrefix,
      BULLMQ_PREFIX: opts.bullPrefix,
      ...opts.env,
    },
    workDir,
    opts.nodeArgs,
    opts.node,
  );
  const base = `http://127.0.0.1:${port}`;
  await waitHttp(`${base}/healthz`);
  return { app, base };
}
