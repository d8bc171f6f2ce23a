import {
  createKeys,
  createStrategyReader,
  type RedisKeys,
} from '@tickpulse/contracts';
import { createUniverseStore } from '@tickpulse/redis';
import { createLogger } from '@tickpulse/service-kit';
import { createTestSchema } from '@tickpulse/testkit';
import { createUniverseMetrics } from '@tickpulse/universe-sync/metrics';
import {
  createReconciler,
  type ReconcileSummary,
} from '@tickpulse/universe-sync/reconcile';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Registry } from 'prom-client';
import type { BenchContext, BenchOutcome } from './context.js';
import { startBenchRedis } from './stack.js';
import { fmt, fmtInt, summarize } from './stats.js';

/**
 * The Go backend's way, for every active strategy in turn: one SELECT of its
 * universe, then one pipeline of DEL + SADD (skipping empty/global ones).
 */
async function baselineResync(
  pool: pg.Pool,
  redis: Redis,
  keys: RedisKeys,
): Promise<number> {
  const { rows } = await pool.query<{ strategyid: number }>(
    'SELECT strategyid FROM strategies WHERE alertactive ORDER BY strategyid',
  );
  let written = 0;
  for (const { strategyid } of rows) {
    const r = await pool.query<{ u: string[] }>(
      'SELECT COALESCE(alert_universe_full, ARRAY[]::TEXT[]) AS u FROM strategies WHERE strategyid = $1',
      [strategyid],
    );
    const u = r.rows[0]?.u ?? [];
    if (u.length === 0) continue;
    const key = keys.stratUniv(strategyid);
    await redis
      .pipeline()
      .del(key)
      .sadd(key, ...u)
      .exec();
    written++;
  }
  return written;
}

/**
 * Another build's reconciler and reader (`--compare-build <dir>`: a directory
 * holding `node_modules/@tickpulse/{shared,universe-sync}` with their
 * package.json and dist, e.g. copied from main before a change), so that
 * both builds run alternately in one run on the same data: on a shared
 * machine only their ratio means something.
 */
async function loadOtherBuild(dir: string): Promise<{
  createReconciler: typeof createReconciler;
  createStrategyReader: typeof createStrategyReader;
}> {
  const mod = (pkg: string, file: string) =>
    import(
      pathToFileURL(join(dir, 'node_modules/@tickpulse', pkg, 'dist', file))
        .href
    );
  const [rec, shared] = await Promise.all([
    mod('universe-sync', 'reconcile.js'),
    mod('shared', 'index.js'),
  ]);
  return {
    createReconciler: (rec as { createReconciler: typeof createReconciler })
      .createReconciler,
    createStrategyReader: (
      shared as { createStrategyReader: typeof createStrategyReader }
    ).createStrategyReader,
  };
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Benchmark 4: universe reconcile from PostgreSQL to Redis, cold and unchanged, vs per-strategy baseline. */
export async function runUniverse(ctx: BenchContext): Promise<BenchOutcome> {
  const strategies = Number(ctx.opts.strategies ?? (ctx.quick ? 500 : 10_000));
  const perStrategy = Number(
    ctx.opts['tickers-per-strategy'] ?? (ctx.quick ? 50 : 500),
  );
  const rounds = Number(ctx.opts.rounds ?? (ctx.quick ? 1 : 3));
  const pageSize = Number(ctx.opts['page-size'] ?? 500);
  const compareDir = ctx.opts['compare-build'];
  const other = compareDir ? await loadOtherBuild(compareDir) : undefined;
  const runBaseline = ctx.opts.baseline !== 'off';
  const db = await createTestSchema({ label: 'bench_univ' });
  const { name: schema, pool } = db;
  const redisSrv = await startBenchRedis();
  const redis = new Redis(redisSrv.url, { protocol: 2 });
  const reconcileRedis = new Redis(redisSrv.url, { protocol: 2 });
  const keys = createKeys('');
  const logger = createLogger({ service: 'bench', level: 'warn' });
  const problems: string[] = [];
  const tp: { cold: number[]; unchanged: number[] } = {
    cold: [],
    unchanged: [],
  };
  const base: { cold: number[]; rerun: number[] } = { cold: [], rerun: [] };
  const otherTp: { cold: number[]; unchanged: number[] } = {
    cold: [],
    unchanged: [],
  };
  let coldSummary: ReconcileSummary | null = null;
  let unchangedSummary: ReconcileSummary | null = null;
  let loadMs: number;
  try {
    const t0 = process.hrtime.bigint();
    await pool.query(
      `CREATE TABLE strategies (strategyid integer PRIMARY KEY, alertactive boolean NOT NULL, alert_universe_full text[])`,
    );
    // Tickers: 3 letters from a number in 0..9999; each strategy takes 500
    // distinct ones (4729 is coprime with 10 000, so k ↦ (g·7919 + k·4729) mod 10 000 is injective).
    await pool.query(
      `INSERT INTO strategies
       SELECT g, true, ARRAY(
         SELECT chr(65 + n % 26) || chr(65 + (n / 26) % 26) || chr(65 + (n / 676) % 26)
           FROM (SELECT (g * 7919 + k * 4729) % 10000 AS n FROM generate_series(1, $2::int) k) x)
       FROM generate_series(1, $1::int) g`,
      [strategies, perStrategy],
    );
    await pool.query('ANALYZE strategies');
    loadMs = ms(t0);
    ctx.log(
      `universe: ${strategies} strategies × ${perStrategy} tickers loaded in ${fmt(loadMs / 1000, 1)} s (schema ${schema})`,
    );

    const makeReconciler = (build: {
      createReconciler: typeof createReconciler;
      createStrategyReader: typeof createStrategyReader;
    }) =>
      build.createReconciler({
        reader: build.createStrategyReader(pool),
        store: createUniverseStore(redis, keys),
        redis: reconcileRedis,
        keys,
        metrics: createUniverseMetrics(new Registry()),
        logger,
        pageSize,
      });
    const reconciler = makeReconciler({
      createReconciler,
      createStrategyReader,
    });
    const otherReconciler = other && makeReconciler(other);
    const expectedMembers = strategies * perStrategy;
    const countMembers = async () => {
      const p = redis.pipeline();
      for (let id = 1; id <= strategies; id++) p.scard(keys.stratUniv(id));
      const res = (await p.exec()) ?? [];
      return res.reduce((a, [, n]) => a + Number(n), 0);
    };
    /** Cold then unchanged; checks what each run did. */
    const coldThenUnchanged = async (
      rec: typeof reconciler,
      into: typeof tp,
      label: string,
    ) => {
      await redis.flushdb();
      let t = process.hrtime.bigint();
      const cold = await rec.run();
      into.cold.push(ms(t));
      if (cold.created !== strategies)
        problems.push(
          `${label} cold reconcile created ${cold.created}, expected ${strategies}`,
        );
      t = process.hrtime.bigint();
      const again = await rec.run();
      into.unchanged.push(ms(t));
      if (again.unchanged !== strategies)
        problems.push(
          `${label} second reconcile: ${again.unchanged} unchanged, expected ${strategies}`,
        );
      if ((await countMembers()) !== expectedMembers)
        problems.push(`${label}: wrong member count in Redis`);
      return { cold, again };
    };
    for (let r = 0; r < rounds; r++) {
      // Alternate which build goes first, so neither always gets the warmer machine.
      if (otherReconciler && r % 2 === 0)
        await coldThenUnchanged(otherReconciler, otherTp, 'compared build');
      ({ cold: coldSummary, again: unchangedSummary } = await coldThenUnchanged(
        reconciler,
        tp,
        'tickpulse',
      ));
      if (otherReconciler && r % 2 === 1)
        await coldThenUnchanged(otherReconciler, otherTp, 'compared build');
      let t: bigint;
      if (!runBaseline) {
        ctx.log(
          `universe round ${r + 1}: tickpulse cold ${fmt(tp.cold[r]! / 1000, 2)} s, unchanged ${fmt(tp.unchanged[r]! / 1000, 2)} s${otherReconciler ? `; compared build cold ${fmt(otherTp.cold[r]! / 1000, 2)} s, unchanged ${fmt(otherTp.unchanged[r]! / 1000, 2)} s` : ''}`,
        );
        continue;
      }

      await redis.flushdb();
      t = process.hrtime.bigint();
      const n = await baselineResync(pool, redis, keys);
      base.cold.push(ms(t));
      t = process.hrtime.bigint();
      await baselineResync(pool, redis, keys);
      base.rerun.push(ms(t));
      if (n !== strategies)
        problems.push(`baseline wrote ${n}, expected ${strategies}`);
      if ((await countMembers()) !== expectedMembers)
        problems.push('baseline: wrong member count in Redis');
      ctx.log(
        `universe round ${r + 1}: tickpulse cold ${fmt(tp.cold[r]! / 1000, 2)} s, unchanged ${fmt(tp.unchanged[r]! / 1000, 2)} s; baseline cold ${fmt(base.cold[r]! / 1000, 2)} s, rerun ${fmt(base.rerun[r]! / 1000, 2)} s`,
      );
    }
  } finally {
    await db.drop().catch(() => undefined);
    redis.disconnect();
    reconcileRedis.disconnect();
    await redisSrv.close();
  }
  const s = {
    tickpulseCold: summarize(tp.cold),
    tickpulseUnchanged: summarize(tp.unchanged),
    baselineCold: summarize(base.cold),
    baselineRerun: summarize(base.rerun),
    otherCold: summarize(otherTp.cold),
    otherUnchanged: summarize(otherTp.unchanged),
  };
  /** This build's time over the compared build's, per round (same round, same machine state). */
  const ratios = (mine: number[], theirs: number[]) =>
    summarize(theirs.map((x, i) => mine[i]! / x));
  const coldRatio = ratios(tp.cold, otherTp.cold);
  const unchangedRatio = ratios(tp.unchanged, otherTp.unchanged);
  const met = s.tickpulseCold.median < 5000;
  const row = (name: string, x: (typeof s)['tickpulseCold']) =>
    `| ${name} | ${fmt(x.median / 1000, 2)} | ${fmt(x.min / 1000, 2)} – ${fmt(x.max / 1000, 2)} | ${fmtInt((strategies * 1000) / x.median)} |`;
  const md = [
    '## Setup',
    '',
    `${fmtInt(strategies)} alert-active strategies × ${perStrategy} tickers (${fmtInt(strategies * perStrategy)} members) in a private PostgreSQL schema (\`strategies\` as in the contract, filled with one \`INSERT … SELECT generate_series\` in ${fmt(loadMs / 1000, 1)} s), synced to a private redis-server. ${rounds} rounds; each round: FLUSHDB, tickpulse cold, tickpulse again (nothing to change)${other ? ` — and the same for the build in \`${compareDir}\` (first in odd rounds, second in even ones)` : ''}${runBaseline ? ', FLUSHDB, baseline cold, baseline again' : ' (baseline off)'}.`,
    '',
    `- **tickpulse**: universe-sync's \`createReconciler().run()\` imported from \`@tickpulse/universe-sync/reconcile\` in-process (page size ${pageSize}, its own reader over a pg pool of 4 with \`search_path\` set to the schema). In-process rather than through the app's queue so the number is the reconcile itself, not job pickup latency; the code path is the one the app runs at start-up and on schedule (keyset pages read as JSON, two batches in flight under WATCH, a per-strategy fingerprint + SCARD check with a rotating full member comparison, one MULTI/EXEC per batch of UNLINK + a pre-encoded SADD per set, SCAN for orphans).`,
    ...(runBaseline
      ? [
          '- **baseline** (the Go backend): for each active id, `SELECT COALESCE(alert_universe_full, …) WHERE strategyid = $1`, then a pipeline `DEL` + `SADD` — one query and one round trip per strategy, always rewriting.',
        ]
      : []),
    '',
    '| run | median s | min – max s | strategies/s |',
    '|---|---|---|---|',
    row('tickpulse reconcile, cold (empty Redis)', s.tickpulseCold),
    row('tickpulse reconcile, nothing to change', s.tickpulseUnchanged),
    ...(other
      ? [
          row('compared build, cold', s.otherCold),
          row('compared build, nothing to change', s.otherUnchanged),
        ]
      : []),
    ...(runBaseline
      ? [
          row('baseline, cold', s.baselineCold),
          row('baseline, again (rewrites everything)', s.baselineRerun),
        ]
      : []),
    '',
    `**Cold reconcile ${fmt(s.tickpulseCold.median / 1000, 2)} s** — target < 5 s: ${met ? 'met' : 'missed'}${runBaseline ? `; ${fmt(s.baselineCold.median / s.tickpulseCold.median, 1)}× faster than the baseline cold, ${fmt(s.baselineRerun.median / s.tickpulseUnchanged.median, 1)}× faster when nothing changed` : ''}.`,
    ...(other
      ? [
          '',
          `Against the compared build, per round (this ÷ compared): cold median ${fmt(coldRatio.median, 2)} (${fmt(coldRatio.min, 2)} – ${fmt(coldRatio.max, 2)}), nothing to change median ${fmt(unchangedRatio.median, 2)} (${fmt(unchangedRatio.min, 2)} – ${fmt(unchangedRatio.max, 2)}).`,
        ]
      : []),
    '',
    `Last cold summary: ${JSON.stringify(coldSummary)}; last unchanged summary: ${JSON.stringify(unchangedSummary)}.`,
    '',
  ].join('\n');
  return {
    data: {
      strategies,
      perStrategy,
      rounds,
      pageSize,
      loadMs,
      timingsMs: { tp, base, compared: otherTp },
      comparedBuild: compareDir ?? null,
      ratios: other ? { cold: coldRatio, unchanged: unchangedRatio } : null,
      summaries: s,
      coldSummary,
      unchangedSummary,
      target: { coldMs: 5000, met },
    },
    markdown: md,
    problems,
    summary: `reconcile cold ${fmt(s.tickpulseCold.median / 1000, 2)} s (target < 5 s: ${met ? 'met' : 'MISSED'}), unchanged ${fmt(s.tickpulseUnchanged.median / 1000, 2)} s${runBaseline ? `; baseline ${fmt(s.baselineCold.median / 1000, 2)} s` : ''}${other ? `; ÷ compared build: cold ${fmt(coldRatio.median, 2)}, unchanged ${fmt(unchangedRatio.median, 2)}` : ''}`,
  };
}
