import { createKeys, type RedisKeys } from '@tickpulse/contracts';
import { createThrottlePlanner } from '@tickpulse/throttle';
import { seededRandom } from '@tickpulse/testkit';
import type { Redis } from 'ioredis';
import type { BenchContext, BenchOutcome } from './context.js';
import { startBenchRedis } from './stack.js';
import { fmt, quantile, summarize } from './stats.js';

const BUCKET = 1752552000000;
const UNIVERSE = 5000;
const UPDATED = 12000;
const STALE = 3000;
const ALREADY = 1000;
const STRATEGY = 1;
const GLOBAL_STRATEGY = 2;

/**
 * TICK:UPD with 15 000 tickers (12 000 updated since the bucket start), one
 * strategy's universe of 5 000 drawn from all of them, and LAST holding the
 * bucket for 1 000 of its tickers (and an older bucket for 500 more).
 */
async function seed(redis: Redis, keys: RedisKeys): Promise<void> {
  const rand = seededRandom(1);
  const all = Array.from({ length: UPDATED + STALE }, (_, i) => `TK${i}`);
  const p = redis.pipeline();
  for (let i = 0; i < all.length; i += 1000) {
    const chunk = all.slice(i, i + 1000).flatMap((t, j) => {
      const k = i + j;
      const score =
        k < UPDATED ? BUCKET + Math.floor(rand() * 3e6) : BUCKET - 1 - k;
      return [score, t];
    });
    p.zadd(keys.tickUpd(), ...chunk);
  }
  const universe = [...all].sort(() => rand() - 0.5).slice(0, UNIVERSE);
  for (let i = 0; i < universe.length; i += 1000)
    p.sadd(keys.stratUniv(STRATEGY), ...universe.slice(i, i + 1000));
  const last = universe.slice(0, ALREADY).flatMap(t => [t, String(BUCKET)]);
  const older = universe
    .slice(ALREADY, ALREADY + 500)
    .flatMap(t => [t, String(BUCKET - 60000)]);
  p.hset(keys.stratLast(STRATEGY), ...last, ...older);
  for (const [err] of (await p.exec()) ?? []) if (err) throw err;
}

/** The Go loop's way, with its two reads pipelined into one round trip. */
async function clientSide(
  redis: Redis,
  keys: RedisKeys,
  id: number,
  global: boolean,
): Promise<string[]> {
  const bucket = String(BUCKET);
  let changed: string[];
  if (global) {
    changed = await redis.zrange(keys.tickUpd(), bucket, '+inf', 'BYSCORE');
  } else {
    const res = await redis
      .pipeline()
      .zrange(keys.tickUpd(), bucket, '+inf', 'BYSCORE')
      .smembers(keys.stratUniv(id))
      .exec();
    const [[e1, updated], [e2, universe]] = res as [
      [Error | null, string[]],
      [Error | null, string[]],
    ];
    if (e1 || e2) throw e1 ?? e2;
    const set = new Set(updated);
    changed = universe.filter(t => set.has(t));
  }
  if (changed.length === 0) return [];
  const last = await redis.hmget(keys.stratLast(id), ...changed);
  return changed.filter((_, i) => last[i] !== bucket);
}

/** Server-side microseconds per command, from INFO commandstats. */
async function commandUsec(redis: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const info = await redis.info('commandstats');
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=\d+,usec=(\d+)/gm))
    out.set(m[1]!, Number(m[2]));
  return out;
}

/** One scenario's timings: wall ms per plan and Redis µs per plan, both ways. */
interface PlannerRow {
  scenario: string;
  due: number;
  serverMedianMs: number;
  serverP90Ms: number;
  clientMedianMs: number;
  clientP90Ms: number;
  clientOverServer: number;
  redisUsecPerPlanServer: number;
  redisUsecPerPlanClient: number;
}

/**
 * The throttle planner's server-side script (`createThrottlePlanner().plan`,
 * preview) against the Go loop's client-side intersection, interleaved in one
 * process on a private redis-server. Both must return the same tickers.
 */
export async function runPlanner(ctx: BenchContext): Promise<BenchOutcome> {
  const runs = Number(ctx.opts.runs ?? (ctx.quick ? 20 : 301));
  const warmup = ctx.quick ? 3 : 30;
  const bench = await startBenchRedis();
  const redis = bench.client;
  const keys = createKeys('{bench-planner}:');
  const planner = createThrottlePlanner(redis, keys);
  const problems: string[] = [];
  const rows: PlannerRow[] = [];
  try {
    await seed(redis, keys);
    const scenarios = [
      { name: 'universe 5 000 ∩ 12 000 updated', global: false },
      { name: 'global (all 15 000 tickers, 12 000 updated)', global: true },
    ];
    for (const sc of scenarios) {
      const id = sc.global ? GLOBAL_STRATEGY : STRATEGY;
      const ways = {
        server: async () =>
          (await planner.plan({ id, global: sc.global }, BUCKET)).tickers,
        client: () => clientSide(redis, keys, id, sc.global),
      };
      const a = (await ways.server()).sort();
      const b = (await ways.client()).sort();
      if (a.length !== b.length || a.some((t, i) => t !== b[i])) {
        problems.push(
          `${sc.name}: server and client results differ (${a.length} vs ${b.length})`,
        );
        continue;
      }
      for (let i = 0; i < warmup; i++) {
        await ways.server();
        await ways.client();
      }
      const times = { server: [] as number[], client: [] as number[] };
      const usec = { server: 0, client: 0 };
      for (let i = 0; i < runs; i++) {
        // Alternate which goes first so drift and GC hit both alike.
        const order: ('server' | 'client')[] =
          i % 2 ? ['server', 'client'] : ['client', 'server'];
        for (const which of order) {
          const before = await commandUsec(redis);
          const t0 = process.hrtime.bigint();
          await ways[which]();
          times[which].push(Number(process.hrtime.bigint() - t0) / 1e6);
          const after = await commandUsec(redis);
          // A script's inner commands are also counted on their own: for the
          // script count only EVALSHA/EVAL, which include them.
          const counted =
            which === 'server'
              ? ['evalsha', 'eval']
              : [...after.keys()].filter(c => c !== 'info');
          for (const cmd of counted)
            usec[which] += (after.get(cmd) ?? 0) - (before.get(cmd) ?? 0);
        }
      }
      const server = summarize(times.server);
      const client = summarize(times.client);
      rows.push({
        scenario: sc.name,
        due: a.length,
        serverMedianMs: server.median,
        serverP90Ms: quantile(times.server, 0.9),
        clientMedianMs: client.median,
        clientP90Ms: quantile(times.client, 0.9),
        clientOverServer: client.median / server.median,
        redisUsecPerPlanServer: usec.server / runs,
        redisUsecPerPlanClient: usec.client / runs,
      });
      ctx.log(
        `planner: ${sc.name}: server ${fmt(server.median, 2)} ms, client ${fmt(client.median, 2)} ms`,
      );
    }
  } finally {
    await bench.close();
  }
  const first = rows[0];
  const markdown = [
    `- Data: TICK:UPD holds ${UPDATED + STALE} tickers, ${UPDATED} of them updated since the bucket start; the universe has ${UNIVERSE} tickers drawn from all of them; ${ALREADY} universe tickers already hold the bucket in LAST.`,
    `- Method: ${runs} runs of each, interleaved (alternating order) after ${warmup} warm-up runs of each, on a private redis-server; both return the same tickers (checked).`,
    '  - **server**: `createThrottlePlanner().plan(…, preview)` — one EVALSHA.',
    '  - **client**: as the Go loop — `ZRANGE BYSCORE` + `SMEMBERS` (pipelined, one round trip), intersect in JS, `HMGET LAST` of the intersection (second round trip), filter.',
    '',
    '| scenario | due | server median ms (p90) | client median ms (p90) | client / server | Redis busy µs per plan: server | client |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      r =>
        `| ${r.scenario} | ${r.due} | ${fmt(r.serverMedianMs, 2)} (${fmt(r.serverP90Ms, 2)}) | ${fmt(r.clientMedianMs, 2)} (${fmt(r.clientP90Ms, 2)}) | **${fmt(r.clientOverServer, 2)}×** | ${fmt(r.redisUsecPerPlanServer, 0)} | ${fmt(r.redisUsecPerPlanClient, 0)} |`,
    ),
    '',
    '"Redis busy µs" is server-side command time from INFO commandstats (for the script: EVALSHA only,',
    'which includes the commands it calls; for the client way: ZRANGE + SMEMBERS + HMGET).',
    '',
  ].join('\n');
  return {
    data: { runs, warmup, results: rows },
    markdown,
    problems,
    summary: first
      ? `5 000-ticker plan: server ${fmt(first.serverMedianMs, 2)} ms vs client ${fmt(first.clientMedianMs, 2)} ms (${fmt(first.clientOverServer, 2)}×); Redis ${fmt(first.redisUsecPerPlanServer, 0)} vs ${fmt(first.redisUsecPerPlanClient, 0)} µs per plan`
      : 'no scenario completed',
  };
}
