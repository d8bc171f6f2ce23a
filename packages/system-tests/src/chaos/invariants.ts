import { waitFor } from '@tickpulse/testkit';
import { eligible } from '../oracle.js';
import { deployMemoryLimit } from './deploy-limits.js';
import { expectedUniverse } from '../universe-oracle.js';
import type { FaultContext } from './fault.js';
import { ROUND_TICKERS } from './oracle-rounds.js';
import type { CheckRecord, FaultRecord } from './result.js';
import { toMiB } from './rss-sampler.js';
import type { ChaosStack } from './stack.js';

/** What the settle step observed that a check reports. */
export interface Settled {
  /** Status of the final `POST /v1/reconcile`. */
  reconcileStatus: number;
}

/**
 * One metric of every running ingest process. A scrape that fails throws
 * (the caller's `waitFor` asks again): read as 0, a replica too busy to
 * answer would pass for one with nothing running or pending.
 */
function everyIngest(stack: ChaosStack, name: string): Promise<number[]> {
  return Promise.all(
    stack
      .ingests()
      .filter(p => p.running())
      .map(p => p.metric(name)),
  );
}

/**
 * Waits until every ingest replica has put on the `ticks` queue what it held
 * when the backfills finished. Ticks reach TICK:UPD from a replica's
 * coalescer, not from the backfill itself, and a replica demoted while Redis
 * refused it (the password rotation) still holds the trades it read until
 * its connection is back: an empty queue says nothing about them. A replica
 * is done when it holds nothing, or when two publishes completed after this
 * point (publishes never overlap, so the second one took everything held
 * before the first finished). The leader keeps reading the feed, so its
 * pending count need not reach 0.
 */
async function ingestsHandedOver(stack: ChaosStack): Promise<void> {
  const published = 'tickpulse_ingest_batches_published_total';
  const procs = stack.ingests().filter(p => p.running());
  const base = await waitFor(
    () => Promise.all(procs.map(p => p.metric(published))),
    { timeoutMs: 30_000, what: 'ingest publish counters' },
  );
  await waitFor(
    async () => {
      const done = await Promise.all(
        procs.map(
          async (p, i) =>
            !p.running() ||
            (await p.metric('tickpulse_ingest_pending_tickers')) === 0 ||
            (await p.metric(published)) >= base[i]! + 2,
        ),
      );
      return done.every(Boolean);
    },
    {
      timeoutMs: 120_000,
      intervalMs: 250,
      what: 'every ingest replica published what it held',
    },
  );
}

/**
 * Brings the system to a state the oracles describe: healthy, one reconcile
 * finished after the last edit, and no job waiting in either queue. Call it
 * after the load has stopped, or the table keeps moving under the check.
 */
export async function settle(ctx: FaultContext): Promise<Settled> {
  const { stack } = ctx;
  await ctx.healthy();
  const okRuns = () =>
    stack.metricOr0(
      stack.apps.usync,
      'tickpulse_universe_reconcile_runs_total',
      {
        result: 'ok',
      },
    );
  const before = await okRuns();
  const res = await stack.api('/v1/reconcile', {
    body: JSON.stringify({ reason: 'chaos final check' }),
  });
  await waitFor(async () => (await okRuns()) > before, {
    timeoutMs: 120_000,
    what: 'the final reconcile',
  });
  // Gaps of the last faults may still be healing from REST, on any replica.
  await waitFor(
    async () =>
      (await everyIngest(stack, 'tickpulse_ingest_backfill_running')).every(
        n => n === 0,
      ),
    { timeoutMs: 180_000, intervalMs: 250, what: 'ingest backfills finished' },
  );
  await ingestsHandedOver(stack);
  await waitFor(
    async () => {
      const c = await stack.ticksQueue.getJobCounts(
        'wait',
        'active',
        'delayed',
        'prioritized',
      );
      // universe-sync: the reconcile scheduler always keeps one delayed job.
      const u = await stack.syncQueue.getJobCounts(
        'wait',
        'active',
        'prioritized',
      );
      return [...Object.values(c), ...Object.values(u)].every(n => n === 0);
    },
    { timeoutMs: 180_000, intervalMs: 250, what: 'queues drained' },
  );
  return { reconcileStatus: res.status };
}

/**
 * TICK:UPD against the oracle rounds. Every round must match exactly, also
 * one sent across a connection change, with no leader connected, or before
 * Redis lost its data: ingest heals such gaps (and rebuilds TICK:UPD after
 * a loss) from polygon-sim's REST history, which holds every round.
 */
export async function checkTickOracle(
  ctx: FaultContext,
): Promise<CheckRecord[]> {
  const { stack, load } = ctx;
  const rounds = load.rounds;
  const markers = await Promise.all(rounds.map(r => stack.zscore(r.marker)));
  let certain = 0;
  let uncertain = 0;
  const mismatches: string[] = [];
  const ineligibleWins: string[] = [];
  for (let i = 0; i < rounds.length; i++) {
    const r = rounds[i]!;
    const expected = new Map<string, number>();
    const eligibleTimes = new Map<string, Set<number>>();
    for (const t of r.trades) {
      if (!eligible(t)) continue;
      expected.set(t.sym, Math.max(expected.get(t.sym) ?? 0, t.t));
      if (!eligibleTimes.has(t.sym)) eligibleTimes.set(t.sym, new Set());
      eligibleTimes.get(t.sym)!.add(t.t);
    }
    const got = await Promise.all(r.tickers.map(stack.zscore));
    // Every round must be exact: what the stream missed (no leader, a
    // connection change, a paused feed, Redis's data lost) the backfill
    // brings from REST.
    if (r.sameConnection && markers[i] === r.markerMs) certain++;
    else uncertain++;
    if (markers[i] !== r.markerMs)
      mismatches.push(
        `${r.marker}: expected ${r.markerMs}, got ${markers[i] ?? 'absent'}`,
      );
    r.tickers.forEach((t, k) => {
      if ((expected.get(t) ?? null) !== got[k])
        mismatches.push(
          `${t}: expected ${expected.get(t) ?? 'absent'}, got ${got[k] ?? 'absent'}`,
        );
      const g = got[k];
      if (g !== null && g !== undefined && !eligibleTimes.get(t)?.has(g))
        ineligibleWins.push(`${t}: ${g}`);
    });
  }
  return [
    {
      name: 'TICK:UPD equals the oracle for every round (gaps healed from REST)',
      ok: mismatches.length === 0 && rounds.length > 0,
      detail: `${rounds.length} rounds checked exactly, none skipped (${rounds.length * ROUND_TICKERS} tickers + markers): ${certain} streamed to one connected leader, ${uncertain} sent across a connection change, with no leader connected or before Redis lost its data, ${load.roundsSkipped()} of them REST-only (feed paused)${mismatches.length ? `; mismatches: ${mismatches.slice(0, 10).join(', ')}` : ''}`,
    },
    {
      name: 'no ineligible or invented time in TICK:UPD',
      ok: ineligibleWins.length === 0,
      detail: ineligibleWins.length
        ? ineligibleWins.slice(0, 10).join(', ')
        : `${rounds.length} rounds: every present score is one of the ticker's eligible trade times`,
    },
  ];
}

/** The newest score must not lie in the future (ingest drops such trades). */
export async function checkNoFutureTimestamp({
  stack,
}: FaultContext): Promise<CheckRecord> {
  const [, score] = await stack.redis.zrange(
    stack.keys.tickUpd(),
    '-1',
    '-1',
    'WITHSCORES',
  );
  const newest = Number(score ?? 0);
  return {
    name: 'no future timestamp in TICK:UPD',
    ok: newest <= Date.now() + 10_000,
    detail: `newest score ${new Date(newest).toISOString()} (${await stack.redis.zcard(stack.keys.tickUpd())} members)`,
  };
}

/** Every STRAT:*:UNIV equals the committed table (`universe-oracle.ts`); no other key exists. */
export async function checkUniverses(
  { stack }: FaultContext,
  settled: Settled,
): Promise<CheckRecord> {
  const { redis, keys } = stack;
  const rows = await stack.strategies.rows();
  const expectedSets = new Map<number, string[]>();
  for (const row of rows) {
    const u = expectedUniverse(row);
    if (u) expectedSets.set(row.strategyid, u);
  }
  const found = new Map<number, string[]>();
  let cursor = '0';
  do {
    const [next, ks] = await redis.scan(
      cursor,
      'MATCH',
      keys.stratUnivPattern(),
      'COUNT',
      1000,
    );
    cursor = next;
    for (const k of ks) {
      const id = keys.strategyIdOfUnivKey(k);
      if (id !== null) found.set(id, (await redis.smembers(k)).sort());
    }
  } while (cursor !== '0');
  const diff: string[] = [];
  for (const [id, want] of expectedSets) {
    const got = found.get(id);
    if (!got || got.join(',') !== want.join(','))
      diff.push(`${id}: want [${want}] got ${got ? `[${got}]` : 'no key'}`);
  }
  for (const id of found.keys())
    if (!expectedSets.has(id)) diff.push(`${id}: key should not exist`);
  return {
    name: 'every STRAT:*:UNIV equals the committed table after the next reconcile',
    ok: diff.length === 0,
    detail: `${rows.length} rows, ${expectedSets.size} sets expected, ${found.size} found; POST /v1/reconcile → ${settled.reconcileStatus}${diff.length ? `; diff: ${diff.slice(0, 10).join('; ')}` : ''}`,
  };
}

/** No process exited except the ones the suite killed or stopped, and all run again. */
export function checkExits({ stack }: FaultContext): CheckRecord {
  const sys = stack.system;
  const unexpected = sys.unexpectedExits();
  return {
    name: 'no process exited other than the killed ones',
    ok: unexpected.length === 0 && sys.all().every(p => p.running()),
    detail: `${sys.exits.length} exits, all caused by the suite${unexpected.length ? `; UNEXPECTED: ${JSON.stringify(unexpected)}` : ''}`,
  };
}

/**
 * Peak RSS per process under its app's deploy memory limit (`deploy/base`);
 * no samples is a failure, not a pass.
 */
export function checkMemory({ stack, load }: FaultContext): CheckRecord {
  const limitOf = (name: string) => {
    const p = stack.system.all().find(q => q.name === name);
    return p ? deployMemoryLimit(p.app) : 0;
  };
  const peaks = [...load.rss.max];
  return {
    name: "memory bounded (RSS sampled every second, under each app's deploy limit)",
    ok: peaks.every(([n, b]) => b <= limitOf(n)) && load.rss.samples() > 0,
    detail: peaks
      .map(([n, b]) => `${n} max ${toMiB(b)} MiB (limit ${toMiB(limitOf(n))})`)
      .join(', '),
  };
}

/** Every fault recovered and showed in a metric or log line. */
export function checkFaults(faults: readonly FaultRecord[]): CheckRecord {
  const failed = faults.filter(f => !f.ok);
  return {
    name: 'every injected fault recovered and shows in a metric or log line',
    ok: failed.length === 0,
    detail: failed.length
      ? failed.map(f => `${f.name}: ${f.error}`).join('; ')
      : `${faults.length} faults`,
  };
}

/** No generated secret in any output of any process (every restart) or of the migration. */
export function checkSecrets({ stack }: FaultContext): CheckRecord {
  const procs = stack.system.all();
  const allText = [...procs.flatMap(p => p.raw), stack.migrateOutput].join('');
  const leaked = Object.entries(stack.secrets)
    .filter(([, v]) => allText.includes(v))
    .map(([k]) => k);
  return {
    name: 'no secret (POLYGON_API_KEY, API token, Redis and PostgreSQL passwords) in any log',
    // Empty logs would pass vacuously: they mean the capture is broken.
    ok: leaked.length === 0 && allText.length > 0,
    detail: leaked.length
      ? `LEAKED: ${leaked.join(', ')}`
      : `${Math.round(allText.length / 1024)} KiB of logs from ${procs.length} processes and the migration checked`,
  };
}

/** The lease kept ingest to one connection: the sim never had to evict one. */
export function checkSingleConnection({ stack }: FaultContext): CheckRecord {
  const s = stack.sim.stats();
  return {
    name: 'never two ingest connections on the account at once',
    ok: s.evictions === 0,
    detail: `sim evictions ${s.evictions}, max concurrent authenticated per account ${s.maxConcurrentPerAccount}`,
  };
}

/**
 * Every end-of-run invariant, appended to `checks` in report order as each is
 * known, so a check that throws still leaves the earlier ones in the report.
 */
export async function checkInvariants(
  ctx: FaultContext,
  faults: readonly FaultRecord[],
  settled: Settled,
  checks: CheckRecord[],
): Promise<void> {
  checks.push(...(await checkTickOracle(ctx)));
  checks.push(await checkNoFutureTimestamp(ctx));
  checks.push(await checkUniverses(ctx, settled));
  checks.push(checkExits(ctx));
  checks.push(checkMemory(ctx));
  checks.push(checkFaults(faults));
  checks.push(checkSecrets(ctx));
  checks.push(checkSingleConnection(ctx));
}

/** Counters of the run for the report's "Stats" line. */
export async function collectStats({
  stack,
  load,
}: FaultContext): Promise<Record<string, number>> {
  const s = stack.sim.stats();
  return {
    tradesSentBySim: s.eventsSent,
    simConnections: s.totalConnections,
    simEvictions: s.evictions,
    simMaxConcurrentPerAccount: s.maxConcurrentPerAccount,
    strategyEdits: load.edits.edits(),
    enqueueFailures: load.edits.enqueueFailures(),
    oracleRounds: load.rounds.length,
    tickUpdMembers: await stack.redis.zcard(stack.keys.tickUpd()),
  };
}
