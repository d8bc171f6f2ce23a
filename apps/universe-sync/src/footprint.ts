import { QUEUE_NAMES, type RedisKeys } from '@tickpulse/contracts';
import { type RedisClient } from '@tickpulse/redis';
import { logEvery, type Logger } from '@tickpulse/service-kit';
import type { ChainableCommander } from 'ioredis';
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
const memoryUsage = (p: ChainableCommander, key: string, samples = SAMPLES) =>
  p.call('MEMORY', 'USAGE', key, 'SAMPLES', String(samples));

/** The same, sent alone: for keys in different Cluster slots. */
const memoryUsageOf = async (redis: RedisClient, key: string) => {
  const n = await redis.call(
    'MEMORY',
    'USAGE',
    key,
    'SAMPLES',
    String(SAMPLES),
  );
  return typeof n === 'number' ? n : 0;
};

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
 * state measured and multiplied by the state's count. Pipelined: every key of
 * a queue shares the BullMQ prefix's hash tag (required on Cluster), so one
 * slot.
 */
async function sampleQueue(redis: RedisClient, base: string): Promise<number> {
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
 *
 * `TICK:UPD`, the fingerprint hash and each strategy's keys sit in different
 * slots on Redis Cluster, so they are read with concurrent single commands
 * (each sent to its key's master), not one pipeline; a queue's keys share a
 * slot and stay pipelined.
 */
export async function sampleFootprint(
  redis: RedisClient,
  keys: RedisKeys,
  bullmqPrefix: string,
): Promise<Record<FootprintPart, number>> {
  const fp = keys.univFingerprints();
  const [tickUpd, fingerprints, strategies, drawn] = await Promise.all([
    memoryUsageOf(redis, keys.tickUpd()),
    memoryUsageOf(redis, fp),
    redis.hlen(fp),
    redis.hrandfield(fp, SAMPLES),
  ]);
  const ids = ((drawn as string[] | null) ?? []).map(Number);
  const [univSizes, lastSizes] = await Promise.all([
    Promise.all(ids.map(id => memoryUsageOf(redis, keys.stratUniv(id)))),
    Promise.all(ids.map(id => memoryUsageOf(redis, keys.stratLast(id)))),
  ]);
  const [ticksQueue, syncQueue] = await Promise.all([
    sampleQueue(redis, `${bullmqPrefix}:${QUEUE_NAMES.ticks}`),
    sampleQueue(redis, `${bullmqPrefix}:${QUEUE_NAMES.universeSync}`),
  ]);
  return {
    tick_upd: tickUpd,
    universes: extrapolate(univSizes, strategies),
    last_buckets: extrapolate(lastSizes, strategies),
    fingerprints,
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
  redis: RedisClient;
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
