import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** ingest's default TICKS_MAX_PENDING_JOBS. */
export const TICKS_CAP = 4;

/**
 * What a held-back backlog may add to Redis: the cap's jobs, each at most one
 * entry per ticker (≈ 22 bytes of JSON each: 4 × 10 000 × 22 ≈ 0.9 MB at
 * 10 000 tickers), their hashes and their events-stream entries. Measured in
 * test/footprint.int.test.ts: ≈ 0.45 MB; without the cap the same run added
 * 631 jobs and 5.3 MB, growing by 20 jobs a second for as long as tick-writer
 * stayed away.
 */
export const FOOTPRINT_BOUND_BYTES = 2 * 1024 * 1024;

/** What a run with tick-writer away left in Redis, sampled throughout. */
export interface BacklogSample {
  /** Most `ticks` jobs waiting + active + delayed + prioritized seen at once. */
  maxPending: number;
  /** Largest INFO used_memory above the value at the start, in bytes. */
  maxGrowth: number;
  samples: number;
}

/** `ticks` jobs still waiting for a worker, in every state that holds a payload. */
export async function pendingTickJobs(queue: Queue): Promise<number> {
  const c = await queue.getJobCounts(
    'wait',
    'active',
    'delayed',
    'prioritized',
  );
  return c.wait! + c.active! + c.delayed! + c.prioritized!;
}

/** INFO used_memory of the server behind `redis`. */
export async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
}

/**
 * Samples the `ticks` backlog and Redis memory every 250 ms for `ms`, from
 * the used_memory at the call. A failed read (Redis restarting) skips that
 * sample.
 */
export async function sampleBacklog(
  redis: Redis,
  queue: Queue,
  ms: number,
): Promise<BacklogSample> {
  const baseline = await usedMemory(redis);
  const out: BacklogSample = { maxPending: 0, maxGrowth: 0, samples: 0 };
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await sleep(250);
    try {
      const [pending, mem] = await Promise.all([
        pendingTickJobs(queue),
        usedMemory(redis),
      ]);
      out.maxPending = Math.max(out.maxPending, pending);
      out.maxGrowth = Math.max(out.maxGrowth, mem - baseline);
      out.samples++;
    } catch {
      // counted by `samples`; the caller requires enough of them
    }
  }
  return out;
}
