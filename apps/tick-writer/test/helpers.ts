import { QUEUE_NAMES } from '@tickpulse/contracts';
import {
  closeRedis,
  createRedis,
  type RedisClient,
  type RedisServerInfo,
  waitForRedisReady,
} from '@tickpulse/redis';
import { createLogger, type Logger } from '@tickpulse/service-kit';
import { uniqueName, uniquePrefix, waitFor } from '@tickpulse/testkit';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config';
import { tickWriterOptions } from '../src/options';
import { createTickWriter, type TickWriter } from '../src/tick-writer';

/** A logger whose JSON lines the test can read. */
export function captureLogger(): {
  logger: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim())
          lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  return {
    logger: createLogger({ service: 'test', level: 'debug', destination }),
    lines,
  };
}

/** One in-process tick-writer on its own key and BullMQ namespace. */
export interface WriterHarness {
  writer: TickWriter;
  redis: Redis;
  registry: Registry;
  lines: Record<string, unknown>[];
  keyPrefix: string;
  bullPrefix: string;
  close(): Promise<void>;
}

export async function startWriter(opts: {
  url: string;
  keyPrefix?: string;
  bullPrefix?: string;
  env?: Record<string, string>;
  inspectRedis?: (redis: RedisClient) => Promise<RedisServerInfo>;
  start?: boolean;
}): Promise<WriterHarness> {
  const keyPrefix = opts.keyPrefix ?? uniquePrefix('tw');
  const bullPrefix = opts.bullPrefix ?? uniqueName('twq');
  const config = loadConfig({
    REDIS_URL: opts.url,
    REDIS_KEY_PREFIX: keyPrefix,
    BULLMQ_PREFIX: bullPrefix,
    ...opts.env,
  });
  const { logger, lines } = captureLogger();
  const redis = createRedis(opts.url, {
    role: 'worker',
    logger,
    name: 'test-writer',
  });
  const registry = new Registry();
  const writer = createTickWriter({
    options: tickWriterOptions(config),
    logger,
    registry,
    redis,
    inspectRedis: opts.inspectRedis,
  });
  if (opts.start !== false) await writer.start();
  return {
    writer,
    redis,
    registry,
    lines,
    keyPrefix,
    bullPrefix,
    async close() {
      await writer.stop().catch(() => undefined);
      await closeRedis(redis);
    },
  };
}

/** A producer-side `ticks` queue, connected the way ingest connects (fail fast). */
export async function tickQueue(
  url: string,
  bullPrefix: string,
): Promise<{ queue: Queue; redis: Redis; close(): Promise<void> }> {
  const { logger } = captureLogger();
  const redis = createRedis(url, {
    role: 'producer',
    logger,
    name: 'test-producer',
  });
  if (!(await waitForRedisReady(redis, 10_000)))
    throw new Error('the producer connection did not become ready');
  const queue = new Queue(QUEUE_NAMES.ticks, {
    connection: redis,
    prefix: bullPrefix,
  });
  queue.on('error', () => undefined);
  return {
    queue,
    redis,
    async close() {
      await queue.close();
      await closeRedis(redis);
    },
  };
}

/** Every member and score of a TICK:UPD zset. */
export async function readTickUpd(
  redis: Redis,
  keyPrefix: string,
): Promise<Record<string, number>> {
  const flat = await redis.zrange(
    `${keyPrefix}TICK:UPD`,
    '0',
    '-1',
    'WITHSCORES',
  );
  const out: Record<string, number> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = Number(flat[i + 1]);
  return out;
}

/** Keeps the maximum per ticker, like the producer and ZADD GT do. */
export function mergeMax(
  into: Map<string, number>,
  ticks: Iterable<readonly [string, number]>,
): void {
  for (const [t, ms] of ticks) {
    const prev = into.get(t);
    if (prev === undefined || ms > prev) into.set(t, ms);
  }
}

/** Waits until a queue holds no waiting, active or delayed job. */
export async function waitDrained(
  queue: Queue,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(
    async () => {
      const c = await queue.getJobCounts(
        'wait',
        'active',
        'delayed',
        'prioritized',
      );
      return (
        (c.wait ?? 0) +
          (c.active ?? 0) +
          (c.delayed ?? 0) +
          (c.prioritized ?? 0) ===
        0
      );
    },
    { timeoutMs, intervalMs: 100, what: 'queue drained' },
  );
}

/** Value of one labelled series (0 when absent); kept here for the tests that import it. */
export { seriesValue } from '@tickpulse/testkit';
