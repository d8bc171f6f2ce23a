import {
  createPolygonSim,
  type PolygonSim,
  type PolygonSimOptions,
} from '@tickpulse/polygon-sim';
import {
  batchTickers,
  parseTickBatch,
  QUEUE_NAMES,
} from '@tickpulse/contracts';
import { closeRedis, createRedis } from '@tickpulse/redis';
import { createLogger, metricTotal, type Logger } from '@tickpulse/service-kit';
import {
  deletePrefix,
  TEST_REDIS_URL,
  testRedis,
  uniqueName,
  uniquePrefix,
} from '@tickpulse/testkit';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { loadConfig, type IngestConfig } from '../src/config';
import { createIngest, type Ingest } from '../src/ingest';

export const logger = createLogger({
  service: 'ingest-test',
  level: process.env.TEST_LOG_LEVEL ?? 'silent',
});

/** One running ingest against a simulator, with its own prefixes. */
export interface Harness {
  sim: PolygonSim;
  config: IngestConfig;
  replicas: Replica[];
  /** Starts another replica with the same configuration, but for `overrides`. */
  addReplica(
    redisUrl?: string,
    overrides?: Partial<IngestConfig>,
  ): Promise<Replica>;
  /** Merged newest time per ticker over every job waiting in the ticks queue. */
  queued(url?: string): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export interface Replica {
  ingest: Ingest;
  registry: Registry;
  redis: Redis;
  fatal: Error[];
  metric(name: string): Promise<number>;
}

/** Starts a simulator and one ingest replica. */
export async function startHarness(opts: {
  env?: Record<string, string>;
  sim?: PolygonSimOptions;
  redisUrl?: string;
  replicas?: number;
  rebuildTickUpd?: () => Promise<void>;
  /** Every replica logs here (default: the silent test logger). */
  logger?: Logger;
}): Promise<Harness> {
  const sim = createPolygonSim({ apiKeys: ['test-key'], rate: 0, ...opts.sim });
  await sim.listen(0);
  const prefix = uniquePrefix('ingest');
  const bull = uniqueName('bull');
  const redisUrl = opts.redisUrl ?? TEST_REDIS_URL;
  const config = loadConfig({
    POLYGON_API_KEY: 'test-key',
    POLYGON_WS_URL: sim.url(),
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    BULLMQ_PREFIX: bull,
    FLUSH_INTERVAL_MS: '20',
    LEASE_TTL_MS: '3000',
    LEASE_POLL_MS: '200',
    RECONNECT_MIN_MS: '50',
    RECONNECT_MAX_MS: '300',
    TRADE_MAX_AGE_MS: String(3600_000),
    ...opts.env,
  });
  const replicas: Replica[] = [];
  const addReplica = async (
    url = redisUrl,
    overrides: Partial<IngestConfig> = {},
  ): Promise<Replica> => {
    const redis = createRedis(url, {
      role: 'producer',
      logger,
      name: 'ingest-test',
    });
    const registry = new Registry();
    const fatal: Error[] = [];
    const ingest = createIngest({
      config: { ...config, ...overrides, REDIS_URL: url },
      logger: opts.logger ?? logger,
      registry,
      redis,
      onFatal: err => fatal.push(err),
      rebuildTickUpd: opts.rebuildTickUpd,
    });
    await ingest.start();
    const r = {
      ingest,
      registry,
      redis,
      fatal,
      metric: (n: string) => metricTotal(registry, n),
    };
    replicas.push(r);
    return r;
  };
  for (let k = 0; k < (opts.replicas ?? 1); k++) await addReplica();

  const queued = async (url = redisUrl) => {
    const conn = testRedis(url);
    const queue = new Queue(QUEUE_NAMES.ticks, {
      connection: conn,
      prefix: bull,
    });
    try {
      const jobs = await queue.getJobs(['waiting'], 0, 100_000);
      const out: Record<string, number> = {};
      for (const job of jobs) {
        const batch = parseTickBatch(job.data);
        batchTickers(batch).forEach((t, i) => {
          out[t] = Math.max(out[t] ?? 0, batch.times[i]!);
        });
      }
      return out;
    } finally {
      await queue.close();
      conn.disconnect();
    }
  };

  return {
    sim,
    config,
    replicas,
    addReplica,
    queued,
    async close() {
      for (const r of replicas) {
        await r.ingest.stop();
        await closeRedis(r.redis, 500);
      }
      await sim.close();
      const conn = testRedis(redisUrl);
      try {
        await deletePrefix(conn, prefix);
        await deletePrefix(conn, `${bull}:`);
      } catch {
        // a private Redis may already be gone
      } finally {
        conn.disconnect();
      }
    },
  };
}

/** A logger that keeps every line it writes (JSON, as in production), for assertions on logs. */
export function captureLogs(level = 'debug') {
  const raw: string[] = [];
  const captured = createLogger({
    service: 'ingest-test',
    level,
    destination: { write: (line: string) => void raw.push(line) },
  });
  return {
    logger: captured,
    /** Everything written so far, as one string. */
    text: () => raw.join(''),
    /** The parsed lines with message `msg`. */
    lines: (msg: string) =>
      raw
        .map(l => JSON.parse(l) as Record<string, unknown>)
        .filter(l => l.msg === msg),
  };
}

/** A trade event as Polygon sends it. */
export function trade(
  sym: string,
  t: number,
  c?: number[],
  x = 4,
): Record<string, unknown> {
  return {
    ev: 'T',
    sym,
    x,
    i: String(Math.floor(Math.random() * 1e9)),
    z: 3,
    p: 12.5,
    s: 100,
    ...(c ? { c } : {}),
    t,
    q: 1,
  };
}
