import {
  logEvery,
  type Logger,
  QUEUE_NAMES,
  type RedisKeys,
} from '@tickpulse/shared';
import type { Redis } from 'ioredis';
import type { Gauge } from 'prom-client';

/**
 * The parts of tickpulse's Redis footprint the sampler reports (the
 * `part` label of `tickpulse_redis_footprint_bytes`).
 */
export const FOOTPRINT_PARTS = [
  'tick_upd',
  'universes',
  'last_buckets',
  'fingerprints',
  'ticks_queue',
  'universe_sync_queue',
] as const;
export type FootprintPart = (typeof FOOTPRINT_PARTS)[number];

/** Elements MEMORY USAGE samples per key, and keys sampled per family. */
const SAMPLES = 5;

/** A queue's keys that are one structure each (lists, sets, the events stream, meta). */
const QUEUE_STRUCTURE = [
  'wait',
  'active',
  'prioritized',
  'delayed',
  'failed',
  'completed',
  'events',
  'meta',
  'id',
  'marker',
  'stalled',
  'stalled-check',
  'pc',
] as const;
/** Job states whose jobs are hashes `<queue>:<id>`, and how their ids are kept. */
const JOB_STATES = [
  ['wait', 'list'],
  ['active', 'list'],
  ['prioritized', 'zset'],
  ['delayed', 'zset'],
  ['failed', 'zset'],
] as const;

/**
 * MEMORY USAGE with `samples` elements (SAMPLES 5 for big collections). A job
 * hash is measured exactly (SAMPLES 0): it has about a dozen fields, one of
 * them the whole payload, and sampling 5 of them would miss or multiply it.
 */
const memoryUsage = (
  p: ReturnType<Redis['pipeline']>,
  key: string,
  samples = SAMPLES,
) => p.call('MEMORY', 'USAGE', key, 'SAMPLES', String(samples));

const numbers = (res: [Error | null, unknown][] | null): number[] =>
  (res ?? []).map(([err, v]) => {
    if (err) throw err;
    return typeof v === 'number' ? v : 0;
  });

/**
 * Average of the sampled keys' sizes times how many there are. Empty samples
 * (keys gone between the two reads) count as nothing.
 */
function extrapolate(sizes: number[], count: number): number {
  const seen = sizes.filter(s => s > 0);
  if (seen.length === 0 || count === 0) return 0;
  return Math.round((seen.reduce((a, b) => a + b, 0) / seen.length) * count);
}

/**
 * Estimates one BullMQ queue's bytes: each structure key (MEMORY USAGE with
 * SAMPLES, so O(samples) per key, however long the list or stream), plus the
 * job hashes and the deduplication keys of pending jobs: up to 5 jobs of each
 * state measured and multiplied by the state's count.
 */
async function sampleQueue(redis: Redis, base: string): Promise<number> {
  const p = redis.pipeline();
  for (const k of QUEUE_STRUCTURE) memoryUsage(p, `${base}:${k}`);
  for (const [state, type] of JOB_STATES) {
    const key = `${base}:${state}`;
    if (type === 'list') p.llen(key).lrange(key, 0, SAMPLES - 1);
    else p.zcard(key).zrange(key, '0', String(SAMPLES - 1));
  }
  const res = (await p.exec()) ?? [];
  for (const [err] of res) if (err) throw err;
  let total = numbers(res.slice(0, QUEUE_STRUCTURE.length)).reduce(
    (a, b) => a + b,
    0,
  );
  const states = JOB_STATES.map(([state], i) => ({
    state,
    count: Number(res[QUEUE_STRUCTURE.length + 2 * i]![1]),
    ids: res[QUEUE_STRUCTURE.length + 2 * i + 1]![1] as string[],
  }));
  // Job hashes, and each job's deduplication id (BullMQ's `deid` field).
  const q = redis.pipeline();
  for (const { ids } of states)
    for (const id of ids) {
      memoryUsage(q, `${base}:${id}`, 0);
      q.hget(`${base}:${id}`, 'deid');
    }
  const jobRes = (await q.exec()) ?? [];
  for (const [err] of jobRes) if (err) throw err;
  const dedup = redis.pipeline();
  let at = 0;
  let pendingJobs = 0;
  let pendingSampled = 0;
  for (const { state, count, ids } of states) {
    const sizes: number[] = [];
    for (let k = 0; k < ids.length; k++, at++) {
      sizes.push(Number(jobRes[2 * at]![1] ?? 0));
      const deid = jobRes[2 * at + 1]![1];
      // A failed job no longer holds its deduplication key.
      if (state !== 'failed' && typeof deid === 'string')
        memoryUsage(dedup, `${base}:de:${deid}`);
    }
    total += extrapolate(sizes, count);
    if (state !== 'failed') {
      pendingJobs += count;
      pendingSampled += ids.length;
    }
  }
  const dedupSizes = numbers(await dedup.exec());
  // Keys per sampled pending job times the pending jobs, at their mean size.
  if (pendingSampled > 0)
    total += extrapolate(
      dedupSizes,
      Math.round((dedupSizes.length / pendingSampled) * pendingJobs),
    );
  return total;
}

/**
 * Samples tickpulse's Redis footprint with a bounded number of commands,
 * whatever the data size — never an O(N) walk of a big key:
 *
 * - `TICK:UPD` and the fingerprint hash: MEMORY USAGE … SAMPLES 5.
 * - universes and LAST hashes: 5 strategy ids drawn from the fingerprint
 *   hash (HRANDFIELD; reconcile fingerprints every strategy with a set),
 *   their keys measured, times HLEN.
 * - the `ticks` and `universe-sync` queues: see `sampleQueue`.
 *
 * Leases and planner claims are left out: a few hundred bytes, and claims
 * live only while an evaluation runs.
 */
export async function sampleFootprint(
  redis: Redis,
  keys: RedisKeys,
  bullmqPrefix: string,
): Promise<Record<FootprintPart, number>> {
  const fp = keys.univFingerprints();
  const p = redis.pipeline();
  memoryUsage(p, keys.tickUpd());
  memoryUsage(p, fp);
  p.hlen(fp);
  p.hrandfield(fp, SAMPLES);
  const res = (await p.exec()) ?? [];
  for (const [err] of res) if (err) throw err;
  const [tickUpd, fingerprints] = numbers(res.slice(0, 2));
  const strategies = Number(res[2]![1]);
  const ids = (res[3]![1] as string[] | null) ?? [];
  const s = redis.pipeline();
  for (const id of ids) {
    const n = Number(id);
    memoryUsage(s, keys.stratUniv(n));
    memoryUsage(s, keys.stratLast(n));
  }
  const sizes = numbers(await s.exec());
  const [ticksQueue, syncQueue] = await Promise.all([
    sampleQueue(redis, `${bullmqPrefix}:${QUEUE_NAMES.ticks}`),
    sampleQueue(redis, `${bullmqPrefix}:${QUEUE_NAMES.universeSync}`),
  ]);
  return {
    tick_upd: tickUpd ?? 0,
    universes: extrapolate(
      sizes.filter((_, i) => i % 2 === 0),
      strategies,
    ),
    last_buckets: extrapolate(
      sizes.filter((_, i) => i % 2 === 1),
      strategies,
    ),
    fingerprints: fingerprints ?? 0,
    ticks_queue: ticksQueue,
    universe_sync_queue: syncQueue,
  };
}

/**
 * Samples the footprint every `intervalMs` (and once at start) into `gauge`;
 * a failed sample keeps the last values, counts `onError` and logs at most
 * once per 10 minutes. Returns a stop function.
 */
export function startFootprintSampler(deps: {
  redis: Redis;
  keys: RedisKeys;
  bullmqPrefix: string;
  intervalMs: number;
  gauge: Gauge<'part'>;
  logger: Logger;
  onError: () => void;
}): () => void {
  const warnFailed = logEvery(600_000);
  let running = false;
  const sample = async () => {
    if (running) return;
    running = true;
    try {
      const parts = await sampleFootprint(
        deps.redis,
        deps.keys,
        deps.bullmqPrefix,
      );
      for (const part of FOOTPRINT_PARTS) deps.gauge.set({ part }, parts[part]);
    } catch (err) {
      deps.onError();
      warnFailed(() =>
        deps.logger.warn({ err }, 'sampling the Redis footprint failed'),
      );
    } finally {
      running = false;
    }
  };
  void sample();
  const timer = setInterval(() => void sample(), deps.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
