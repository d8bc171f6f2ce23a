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
import { spawnApp, waitHttp, type App } from './procs.js';
import { REPO_ROOT } from './results.js';

export const SIM_MAIN = 'apps/polygon-sim/dist/main.js';
export const INGEST_MAIN = 'apps/ingest/dist/main.js';
export const TICK_WRITER_MAIN = 'apps/tick-writer/dist/main.js';

/** True when an app has been built. */
export const built = (rel: string): boolean => existsSync(join(REPO_ROOT, rel));

/** A private redis-server (noeviction, no persistence) with its pid. */
export interface BenchRedis {
  server: PrivateRedis;
  url: string;
  /** Refreshed after a restart. */
  pid: number;
  client: Redis;
  refreshPid(): Promise<number>;
  close(): Promise<void>;
}

/** Starts a private redis-server for one benchmark. */
export async function startBenchRedis(): Promise<BenchRedis> {
  const server = await startPrivateRedis();
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

/** ingest, pointed at the simulator and the private Redis. */
export async function startIngest(
  workDir: string,
  opts: {
    wsUrl: string;
    redisUrl: string;
    keyPrefix: string;
    bullPrefix: string;
    env?: Record<string, string>;
    nodeArgs?: string[];
  },
): Promise<{ app: App; base: string }> {
  const port = await freePort();
  const app = spawnApp(
    'ingest',
    INGEST_MAIN,
    {
      HTTP_PORT: String(port),
      POLYGON_WS_URL: opts.wsUrl,
      REDIS_URL: opts.redisUrl,
      REDIS_KEY_PREFIX: opts.keyPrefix,
      BULLMQ_PREFIX: opts.bullPrefix,
      ...opts.env,
    },
    workDir,
    opts.nodeArgs,
  );
  const base = `http://127.0.0.1:${port}`;
  await waitHttp(`${base}/readyz`);
  return { app, base };
}

/** tick-writer on the same Redis and namespaces. */
export async function startTickWriter(
  workDir: string,
  opts: {
    redisUrl: string;
    keyPrefix: string;
    bullPrefix: string;
    env?: Record<string, string>;
  },
): Promise<{ app: App; base: string }> {
  const port = await freePort();
  const app = spawnApp(
    'tick-writer',
    TICK_WRITER_MAIN,
    {
      HTTP_PORT: String(port),
      REDIS_URL: opts.redisUrl,
      REDIS_KEY_PREFIX: opts.keyPrefix,
      BULLMQ_PREFIX: opts.bullPrefix,
      ...opts.env,
    },
    workDir,
  );
  const base = `http://127.0.0.1:${port}`;
  await waitHttp(`${base}/healthz`);
  return { app, base };
}
