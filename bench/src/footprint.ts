import { createUniverse } from '@tickpulse/polygon-sim';
import {
  createKeys,
  enqueueUniverseSync,
  JOB_NAMES,
  publishTickBatch,
  QUEUE_NAMES,
  TICK_BATCH_JOB_OPTIONS,
  TICK_BATCH_KEEP_FAILED,
  UNIVERSE_SYNC_KEEP_FAILED,
} from '@tickpulse/contracts';
import {
  createLease,
  createTickStore,
  createUniverseStore,
} from '@tickpulse/redis';
import { createThrottlePlanner } from '@tickpulse/throttle';
import { exactMemoryUsage, seededRandom } from '@tickpulse/testkit';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { BenchContext, BenchOutcome } from './context.js';
import { namespaces, startBenchRedis } from './stack.js';
import { fmt, fmtInt } from './stats.js';

/** The default cap of pending `ticks` jobs (ingest's TICKS_MAX_PENDING_JOBS). */
const TICKS_CAP = 4;

/** One measured part of tickpulse's Redis footprint. */
export interface FootprintPart {
  part: string;
  /** What was written, in words. */
  contents: string;
  /** Keys of the part after writing it. */
  keys: number;
  /** Sum of `MEMORY USAGE key SAMPLES 0` over the part's keys (exact). */
  bytes: number;
  /** INFO used_memory after minus before writing the part (allocator view). */
  usedMemoryDelta: number;
  /** Only with the planner's lossless throttle: left out of the total. */
  optional?: boolean;
  /** True for keys the Go alert service also keeps today (the contract keys). */
  contract: boolean;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
}

/**
 * Bench `footprint`: the Redis bytes tickpulse uses, part by part, on a
 * private redis-server (so INFO used_memory is tickpulse's alone). It
 * measures bytes, not time. Every part is written with the production code
 * paths of `@tickpulse/redis`, `@tickpulse/throttle` and BullMQ.
 */
export async function runFootprint(ctx: BenchContext): Promise<BenchOutcome> {
  const q = ctx.quick;
  const tickers = Number(ctx.opts['fp-tickers'] ?? (q ? 1200 : 12_000));
  const strategies = Number(ctx.opts['fp-strategies'] ?? (q ? 100 : 10_000));
  const perStrategy = Number(ctx.opts['fp-per-strategy'] ?? 500);
  const claimed = Number(ctx.opts['fp-claimed'] ?? (q ? 10 : 100));
  // Tiny jobs pushed through a no-op worker until the events stream is full.
  const streamJobs = q ? 300 : 4000;

  const server = await startBenchRedis();
  const redis = server.client;
  const ns = namespaces();
  const keys = createKeys(ns.keyPrefix);
  const bull = ns.bullPrefix;
  const parts: FootprintPart[] = [];
  const problems: string[] = [];
  const workerConn = new Redis(server.url, {
    protocol: 2,
    maxRetriesPerRequest: null,
  });
  const ticksQueue = new Queue(QUEUE_NAMES.ticks, {
    connection: redis,
    prefix: bull,
  });
  const syncQueue = new Queue(QUEUE_NAMES.universeSync, {
    connection: redis,
    prefix: bull,
  });

  const measure = async (
    part: string,
    contents: string,
    pattern: string,
    contract: boolean,
    write: () => Promise<void>,
    // An earlier part that `write` turns into this one (jobs that fail leave
    // the waiting set): added back so this part counts what stays.
    replaces?: FootprintPart,
  ) => {
    const before = await exactMemoryUsage(redis, pattern);
    const mem0 = await usedMemory(redis);
    await write();
    const after = await exactMemoryUsage(redis, pattern);
    const p: FootprintPart = {
      part,
      contents,
      keys: after.keys,
      bytes: after.bytes - before.bytes + (replaces?.bytes ?? 0),
      usedMemoryDelta:
        (await usedMemory(redis)) - mem0 + (replaces?.usedMemoryDelta ?? 0),
      contract,
    };
    parts.push(p);
    ctx.log(`footprint: ${part}: ${fmtInt(p.bytes)} bytes (${contents})`);
    if (p.bytes <= 0) problems.push(`${part}: measured no bytes`);
    return p;
  };

  try {
    const universe = createUniverse(tickers, 7).map(t => t.sym);
    const now = Date.now();
    const full = new Map(universe.map((t, i) => [t, now - i]));

    await measure(
      'TICK:UPD',
      `${fmtInt(tickers)} tickers`,
      keys.tickUpd(),
      true,
      async () => {
        await createTickStore(redis, keys).markUpdated(full);
      },
    );
    const zcard = await redis.zcard(keys.tickUpd());
    if (zcard !== tickers)
      problems.push(`TICK:UPD has ${zcard} members, not ${tickers}`);

    const rnd = seededRandom(11);
    const pick = () => {
      const s = new Set<string>();
      while (s.size < Math.min(perStrategy, tickers))
        s.add(universe[Math.floor(rnd() * tickers)]!);
      return [...s];
    };
    const store = createUniverseStore(redis, keys);
    await measure(
      'STRAT:<id>:UNIV',
      `${fmtInt(strategies)} strategies × ${perStrategy} tickers`,
      keys.stratUnivPattern(),
      true,
      async () => {
        for (let id = 1; id <= strategies; id += 50) {
          const batch = [];
          for (let k = id; k < Math.min(id + 50, strategies + 1); k++)
            batch.push(store.replace(k, pick()));
          await Promise.all(batch);
        }
      },
    );

    const planner = createThrottlePlanner(redis, keys);
    const bucket = now - 60_000;
    await measure(
      'STRAT:<id>:LAST',
      `${fmtInt(strategies)} strategies × ${perStrategy} tickers evaluated`,
      keys.stratLast(1).replace(/1:LAST$/, '*:LAST'),
      true,
      async () => {
        for (let id = 1; id <= strategies; id += 50) {
          const batch = [];
          for (let k = id; k < Math.min(id + 50, strategies + 1); k++)
            batch.push(
              store
                .read(k)
                .then(u => planner.recordEvaluated(k, u, bucket - 60_000)),
            );
          await Promise.all(batch);
        }
      },
    );

    await measure(
      'STRAT:<id>:CLAIM',
      `${fmtInt(claimed)} strategies mid-evaluation, ${perStrategy} tickers claimed each`,
      // `{STRAT:<id>:LAST}:CLAIM`: the id sits inside the hash tag.
      keys.stratClaim(1).replace('STRAT:1:', 'STRAT:*:'),
      false,
      async () => {
        for (let id = 1; id <= claimed; id++) {
          const r = await planner.plan({ id, global: false }, bucket, {
            mode: 'claim',
            claimTtlMs: 600_000,
          });
          if (r.tickers.length !== perStrategy)
            problems.push(
              `strategy ${id} claimed ${r.tickers.length} tickers, not ${perStrategy}`,
            );
        }
      },
    );

    // The lossless throttle's own hashes, every strategy on it: SEEN holds
    // one trade time per evaluated ticker; TRIG the tickers that triggered
    // (a tenth here). A bucket of their own, so the claims above stay.
    const losslessBucket = bucket - 120_000;
    const recordLossless = (triggeredEvery: number) => async () => {
      for (let id = 1; id <= strategies; id += 50) {
        const batch = [];
        for (let k = id; k < Math.min(id + 50, strategies + 1); k++)
          batch.push(
            store.read(k).then(u =>
              planner.recordLossless(
                k,
                {
                  tickers: u,
                  seenMs: u.map(t => full.get(t)!),
                  triggered: u.filter((_, i) => i % triggeredEvery === 0),
                },
                losslessBucket,
              ),
            ),
          );
        await Promise.all(batch);
      }
    };
    const seenPart = await measure(
      '{STRAT:<id>:LAST}:SEEN',
      `lossless only: ${fmtInt(strategies)} strategies × ${perStrategy} tickers evaluated`,
      keys.stratSeen(1).replace('STRAT:1:', 'STRAT:*:'),
      false,
      recordLossless(Number.MAX_SAFE_INTEGER),
    );
    const trigPart = await measure(
      '{STRAT:<id>:LAST}:TRIG',
      `lossless only: ${fmtInt(strategies)} strategies × ${perStrategy / 10} tickers triggered in the bucket`,
      keys.stratTriggered(1).replace('STRAT:1:', 'STRAT:*:'),
      false,
      recordLossless(10),
    );
    seenPart.optional = trigPart.optional = true;

    // Same format as universe-sync's reconcile: `3:<xmin>/<ctid>/<stored size>:<members>`.
    await measure(
      'TICKPULSE:UNIV:FP',
      `${fmtInt(strategies)} reconcile fingerprints`,
      keys.univFingerprints(),
      false,
      async () => {
        const fp = keys.univFingerprints();
        for (let id = 1; id <= strategies; id += 1000) {
          const args: string[] = [];
          for (let k = id; k < Math.min(id + 1000, strategies + 1); k++)
            args.push(
              String(k),
              `3:${(k * 2654435761) % 4294967296}/(${Math.floor(k / 3)},${(k % 3) + 1})/${perStrategy * 5 + 24}:${perStrategy}`,
            );
          await redis.hset(fp, ...args);
        }
      },
    );

    await measure(
      'TICKPULSE:LEASE:*',
      'ingest leader and reconcile leases',
      keys.lease('*'),
      false,
      async () => {
        await createLease(redis, keys.lease('ingest'), 600_000).acquire();
        await createLease(
          redis,
          keys.lease('universe-reconcile'),
          600_000,
        ).acquire();
      },
    );

    // ---- ticks queue at its cap ------------------------------------------
    const ticksPattern = `${bull}:${QUEUE_NAMES.ticks}:*`;
    const drain = async (queue: Queue, fail: boolean, expect: number) => {
      let done = 0;
      const w = new Worker(
        queue.name,
        async () => {
          done++;
          if (fail) throw new UnrecoverableError('footprint bench: poison');
        },
        { connection: workerConn, prefix: bull, concurrency: 8 },
      );
      const until = Date.now() + 120_000;
      while (done < expect && Date.now() < until) await sleep(50);
      await w.close();
      if (done < expect)
        throw new Error(`${queue.name}: ${done} of ${expect} jobs processed`);
    };
    const eventsPart = await measure(
      'ticks: events stream and bookkeeping',
      `after ${fmtInt(streamJobs)} jobs`,
      ticksPattern,
      false,
      async () => {
        for (let i = 0; i < streamJobs; i += 100) {
          const adds = [];
          for (let k = i; k < i + 100; k++)
            adds.push(publishTickBatch(ticksQueue, new Map([['AAPL', now]])));
          await Promise.all(adds);
        }
        await drain(ticksQueue, false, streamJobs);
      },
    );
    const xlen = await redis.xlen(`${bull}:${QUEUE_NAMES.ticks}:events`);
    eventsPart.contents += `: ${fmtInt(xlen)} stream entries (BullMQ trims at ~10 000)`;
    const failedPart = await measure(
      'ticks: failed jobs',
      `${TICK_BATCH_KEEP_FAILED.count} kept (of ${TICK_BATCH_KEEP_FAILED.count + 5} poison batches of ${fmtInt(tickers)} tickers)`,
      ticksPattern,
      false,
      async () => {
        for (let i = 0; i < TICK_BATCH_KEEP_FAILED.count + 5; i++)
          await ticksQueue.add(
            JOB_NAMES.tickBatch,
            { v: 1, ticks: Object.fromEntries(full), poison: true },
            TICK_BATCH_JOB_OPTIONS,
          );
        await drain(ticksQueue, true, TICK_BATCH_KEEP_FAILED.count + 5);
      },
    );
    const failedCount = (await ticksQueue.getJobCounts('failed')).failed;
    if (failedCount !== TICK_BATCH_KEEP_FAILED.count)
      problems.push(`ticks keeps ${failedCount} failed jobs`);
    failedPart.contents += `; ${failedCount} in the failed set`;
    await measure(
      'ticks: pending jobs at the cap',
      `${TICKS_CAP} jobs (TICKS_MAX_PENDING_JOBS) of ${fmtInt(tickers)} tickers each`,
      ticksPattern,
      false,
      async () => {
        for (let i = 0; i < TICKS_CAP; i++)
          await publishTickBatch(ticksQueue, full);
      },
    );

    // ---- universe-sync: every strategy edited at once --------------------
    const syncPattern = `${bull}:${QUEUE_NAMES.universeSync}:*`;
    const waiting = await measure(
      'universe-sync: waiting jobs',
      `one sync per strategy (${fmtInt(strategies)}; deduplication caps it there)`,
      syncPattern,
      false,
      async () => {
        for (let id = 1; id <= strategies; id += 200) {
          const adds = [];
          for (let k = id; k < Math.min(id + 200, strategies + 1); k++)
            adds.push(enqueueUniverseSync(syncQueue, k, 'footprint bench'));
          await Promise.all(adds);
        }
      },
    );
    await measure(
      'universe-sync: failed jobs',
      `${UNIVERSE_SYNC_KEEP_FAILED.count} kept (of the same ${fmtInt(strategies)} jobs failed)`,
      syncPattern,
      false,
      async () => {
        await drain(syncQueue, true, strategies);
      },
      waiting,
    );
  } finally {
    await ticksQueue.close().catch(() => undefined);
    await syncQueue.close().catch(() => undefined);
    workerConn.disconnect();
    await server.close();
  }

  const total = parts.filter(p => !p.optional).reduce((s, p) => s + p.bytes, 0);
  const lossless = parts
    .filter(p => p.optional)
    .reduce((s, p) => s + p.bytes, 0);
  const contract = parts
    .filter(p => p.contract)
    .reduce((s, p) => s + p.bytes, 0);
  const MB = 1_000_000;
  const markdown = [
    `Written with the production code paths on a private redis-server; bytes are \`MEMORY USAGE key SAMPLES 0\` summed over the part's keys (exact), next to the \`INFO used_memory\` delta of writing the part (the allocator's view, including fragmentation). Sizes: ${fmtInt(tickers)} tickers, ${fmtInt(strategies)} strategies × ${perStrategy} tickers, ${fmtInt(claimed)} strategies with live claims, \`ticks\` at its cap of ${TICKS_CAP}.`,
    '',
    '| part | contents | keys | MEMORY USAGE | used_memory Δ | also kept by the Go service today |',
    '|---|---|---|---|---|---|',
    ...parts.map(
      p =>
        `| \`${p.part}\` | ${p.contents} | ${fmtInt(p.keys)} | ${fmt(p.bytes / MB, 2)} MB | ${fmt(p.usedMemoryDelta / MB, 2)} MB | ${p.contract ? 'yes (contract key)' : 'no'} |`,
    ),
    `| **total** (without the lossless-only parts) | | | **${fmt(total / MB, 1)} MB** | | ${fmt(contract / MB, 1)} MB of it in contract keys |`,
    '',
    `The planner's lossless throttle, when a caller uses it for every strategy, adds ${fmt(lossless / MB, 1)} MB (SEEN and TRIG above).`,
    '',
    `Per unit: ${fmt(parts[0]!.bytes / tickers, 1)} B per TICK:UPD member; ${fmtInt(parts[1]!.bytes / strategies)} B per ${perStrategy}-ticker universe; ${fmtInt(parts[2]!.bytes / strategies)} B per LAST hash; ${fmtInt(parts[3]!.bytes / Math.max(1, claimed))} B per strategy mid-evaluation (claims live only between plan and record).`,
    '',
  ].join('\n');
  return {
    data: {
      tickers,
      strategies,
      perStrategy,
      claimed,
      ticksCap: TICKS_CAP,
      parts,
      total,
      contract,
      lossless,
    },
    markdown,
    problems,
    summary: `${fmt(total / MB, 1)} MB in all (${fmt(contract / MB, 1)} MB in contract keys the Go service keeps too; ${fmt((total - contract) / MB, 1)} MB tickpulse-only)`,
  };
}
