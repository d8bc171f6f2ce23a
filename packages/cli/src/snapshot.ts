import { Queue } from 'bullmq';
import { QUEUE_NAMES, type RedisKeys } from '@tickpulse/contracts';
import { createUniverseStore, type RedisClient } from '@tickpulse/redis';
import { parsePromText, type PromSample } from '@tickpulse/service-kit';
import type { Snapshot } from './status-line.js';

/** Reads every app's /metrics and the Redis facts the status line shows. */
export function createSnapshotter(opts: {
  redis: RedisClient;
  keys: RedisKeys;
  bullPrefix: string;
  apps: { name: string; port: number }[];
}): { take(): Promise<Snapshot>; close(): Promise<void> } {
  const queues = Object.values(QUEUE_NAMES).map(
    name =>
      new Queue(name, { connection: opts.redis, prefix: opts.bullPrefix }),
  );
  for (const q of queues) q.on('error', () => undefined);

  const scrape = async (port: number): Promise<PromSample[] | null> => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
        signal: AbortSignal.timeout(2000),
      });
      return res.ok ? parsePromText(await res.text()) : null;
    } catch {
      return null;
    }
  };

  const countUniverses = async (): Promise<number> => {
    let n = 0;
    for await (const ids of createUniverseStore(
      opts.redis,
      opts.keys,
    ).scanStrategyIds())
      n += ids.length;
    return n;
  };

  return {
    async take() {
      const scrapes = await Promise.all(opts.apps.map(a => scrape(a.port)));
      const samples: PromSample[] = [];
      const down: string[] = [];
      scrapes.forEach((s, i) =>
        s ? samples.push(...s) : down.push(opts.apps[i]!.name),
      );
      const counts: Snapshot['queues'] = {};
      for (const q of queues) {
        const c = await q
          .getJobCounts('wait', 'active', 'failed')
          .catch(() => null);
        if (c)
          counts[q.name] = {
            waiting: c.wait ?? 0,
            active: c.active ?? 0,
            failed: c.failed ?? 0,
          };
      }
      return {
        atMs: Date.now(),
        samples,
        down,
        queues: counts,
        tickers: await opts.redis.zcard(opts.keys.tickUpd()).catch(() => 0),
        universes: await countUniverses().catch(() => 0),
      };
    },
    async close() {
      await Promise.all(queues.map(q => q.close()));
    },
  };
}
