import type {
  RedisKeys,
  StrategyDigest,
  StrategyReader,
  StrategyRow,
} from '@tickpulse/contracts';
import type { RedisClient, UniverseStore } from '@tickpulse/redis';
import type { Logger } from '@tickpulse/service-kit';
import {
  createMalformedRowReporter,
  type MalformedRowReporter,
} from './malformed-rows.js';
import type { UniverseMetrics } from './metrics.js';
import {
  digestCandidates,
  fullCheckTrust,
  planBatch,
  probesOf,
  settlePlan,
  storedStates,
  trustedIds,
  writeSetOf,
  type SettledPlan,
} from './reconcile-plan.js';
import {
  createReconcileTransport,
  type Guard,
  type ReconcileTransport,
} from './reconcile-transport.js';

/** What a reconcile run found and fixed. */
export interface ReconcileSummary {
  created: number;
  replaced: number;
  removed: number;
  unchanged: number;
  /** Alert-active strategies read from the table. */
  activeStrategies: number;
  /** Universe keys found by SCAN that the page pass had not covered. */
  orphanCandidates: number;
  invalidTickers: number;
  /** Rows whose universe is malformed (their set is removed, see `desiredUniverse`). */
  malformedRows: number;
  /** Alert-active strategies with an id below 1: they can never get a universe. */
  invalidIds: number;
  /** Batches re-read because a sync job wrote one of their keys meanwhile. */
  conflicts: number;
  /** Strategies found unchanged by stored fingerprint + SCARD, members not compared. */
  trusted: number;
  /** Strategies whose members were compared (or that needed writing). */
  compared: number;
  durationMs: number;
}

/** Thrown when a run is stopped (lease lost, shutdown) between batches. */
export class ReconcileAbortedError extends Error {
  override name = 'ReconcileAbortedError';
}

/** Runs full reconciles; one instance per process. */
export interface Reconciler {
  run(signal?: AbortSignal): Promise<ReconcileSummary>;
}

/** A batch whose keys keep changing under it is left to the sync jobs after this many tries. */
const MAX_BATCH_ATTEMPTS = 5;
/** Default of `fullCheckEvery`. */
export const DEFAULT_FULL_CHECK_EVERY = 4;
/**
 * Creates the reconciler.
 *
 * The table is read in keyset pages of alert-active ids (the next page's ids
 * are fetched while the current page is worked on); each page is a batch:
 * WATCH its keys, ask PostgreSQL for each row's version (xmin, ctid and the
 * column's stored size: no array read or hashed), read the stored
 * fingerprints (one HMGET) and every SCARD in one pipeline. A strategy whose
 * stored fingerprint equals `version + current SCARD` is unchanged without
 * comparing members (the row was not written since the set was compared);
 * the others
 * (and every strategy whose id falls in this run's full-check slice, see
 * `fullCheckEvery`) are read in full and compared member by member (SCARD,
 * then SMISMEMBER). Every difference, and every fingerprint to store or drop,
 * is written in one MULTI/EXEC. WATCH makes a batch retry when a sync job
 * wrote one of its keys between the read and the write, so reconcile never
 * puts back a universe older than what a sync job just wrote, nor records a
 * fingerprint for a set it did not compare. Finally every `STRAT:*:UNIV`
 * found by SCAN that the page pass did not cover is checked in full (removed
 * when deleted, inactive or global; a deleted strategy's `:LAST` goes too).
 *
 * On Redis Cluster the production keys sit in different slots, and WATCH,
 * MULTI and a script may only name keys of one slot. There a batch is one
 * strategy, worked on strictly one after another on this connection (WATCH
 * state lives on the node connection that owns the key): WATCH its
 * `STRAT:<id>:UNIV`, read, and a MULTI/EXEC holding only that key's write.
 * The set is still replaced atomically and never over a newer sync job's
 * write; what is no longer in the same EXEC is the fingerprint (written
 * after it, in its own hash) and a deleted strategy's `:LAST` (removed
 * after it). A crash between the two leaves no fingerprint at worst (the
 * next run compares members), and a fingerprint recorded after a sync job's
 * write names the version of the row reconcile read, which no longer matches
 * the row, so the next run compares members too.
 *
 * What the fingerprint shortcut cannot see: a set edited outside tickpulse
 * that keeps its size (one member swapped for another) while the row is
 * unchanged. Additions, removals, a deleted or evicted key change SCARD and
 * are caught on every run; a same-size swap is caught by the run whose
 * full-check slice holds that strategy, i.e. within `fullCheckEvery` runs.
 * The same slice covers the one way a written row can keep its version (a
 * transaction id reused on the same tuple slot: xid wraparound, or a
 * point-in-time restore replaying ids, and only for an edit no sync job
 * saw): the row is read and its members compared within `fullCheckEvery`
 * runs.
 * Sync jobs drop the strategy's fingerprint around their write, so a set
 * tickpulse itself rewrites is always compared in full next time.
 *
 * @param deps.redis a connection of its own: WATCH state is per connection.
 *   Its `autoResendUnfulfilledCommands` is switched off: an EXEC resent on a
 *   new connection after a reconnect would run without its WATCH. (On a
 *   cluster that must be done when the client is created, `autoResend:
 *   false` of `createRedis`, since node connections come and go.)
 * @param deps.fullCheckEvery each run compares the members of one strategy in
 *   this many (by id, rotating), whatever the fingerprint says; 1 = every
 *   strategy every run, 0 = never (trust fingerprint + SCARD). Default 4.
 */
export function createReconciler(deps: {
  reader: StrategyReader;
  store: UniverseStore;
  redis: RedisClient;
  keys: RedisKeys;
  metrics: UniverseMetrics;
  logger: Logger;
  pageSize: number;
  fullCheckEvery?: number;
  /** Shared with the sync jobs so a malformed row is logged once, not once per path. */
  malformed?: MalformedRowReporter;
}): Reconciler {
  const { keys, metrics, logger } = deps;
  const fullCheckEvery = deps.fullCheckEvery ?? DEFAULT_FULL_CHECK_EVERY;
  if (!Number.isInteger(fullCheckEvery) || fullCheckEvery < 0)
    throw new RangeError(
      `fullCheckEvery must be a non-negative integer, got ${fullCheckEvery}`,
    );
  const ctx: Context = {
    ...deps,
    malformed: deps.malformed ?? createMalformedRowReporter(deps),
    transport: createReconcileTransport(deps.redis, { keys, metrics, logger }),
  };
  // Rotates the full-check slice; starts anywhere so that replicas taking
  // turns do not keep checking the same slice.
  let runNumber = Math.floor(Math.random() * Math.max(fullCheckEvery, 1));
  let firstRun = true;
  return {
    async run(signal) {
      const started = Date.now();
      const run: RunState = {
        summary: emptySummary(),
        trustable: fullCheckTrust(fullCheckEvery, runNumber++),
        covered: new Set<number>(),
        checkAbort: () => {
          if (signal?.aborted)
            throw new ReconcileAbortedError(
              `reconcile stopped: ${String(signal.reason ?? 'aborted')}`,
            );
        },
      };
      await pagePass(ctx, run);
      await orphanPass(ctx, run);
      const { summary } = run;
      await reportInvalidIds(ctx, summary);
      summary.durationMs = Date.now() - started;
      metrics.reconcileDuration.observe(summary.durationMs / 1000);
      const first = firstRun;
      firstRun = false;
      reportRun(logger, summary, first);
      return summary;
    },
  };
}

/** What every batch of a reconciler works with. */
interface Context {
  reader: StrategyReader;
  store: UniverseStore;
  keys: RedisKeys;
  metrics: UniverseMetrics;
  logger: Logger;
  pageSize: number;
  malformed: MalformedRowReporter;
  transport: ReconcileTransport;
}

/** One run's progress. */
interface RunState {
  summary: ReconcileSummary;
  /** Whether this run may trust the strategy's fingerprint (not in the full-check slice). */
  trustable: (id: number) => boolean;
  /** Ids some batch of this run has worked on. */
  covered: Set<number>;
  checkAbort: () => void;
}

/** Works the alert-active ids page by page, two batches in flight when a second connection is to be had. */
async function pagePass(ctx: Context, run: RunState): Promise<void> {
  const { reader, pageSize } = ctx;
  // Without a second connection (a cluster, or Redis slow to take one), one
  // batch at a time.
  const lanes = [ctx.transport];
  const extra = await ctx.transport.openLane();
  if (extra) lanes.push(extra.transport);
  const inflight: Promise<void>[] = [];
  let lane = 0;
  let next: Promise<number[]> | undefined = reader.activeIdsAfter(0, pageSize);
  try {
    while (next) {
      run.checkAbort();
      const ids = await next;
      next = undefined;
      if (ids.length === 0) break;
      // The next page's ids while this page is compared and written;
      // ids need no WATCH (each batch re-reads its rows under WATCH).
      if (ids.length === pageSize) {
        next = reader.activeIdsAfter(ids[ids.length - 1]!, pageSize);
        next.catch(() => undefined);
      }
      run.summary.activeStrategies += ids.length;
      for (const id of ids) run.covered.add(id);
      const t = lanes[lane++ % lanes.length]!;
      const batch = reconcileIds(ctx, t, ids, run.summary, run.trustable);
      batch.catch(() => undefined);
      inflight.push(batch);
      if (inflight.length >= lanes.length) await inflight.shift();
    }
    for (const batch of inflight.splice(0)) await batch;
  } finally {
    // Whatever is left behind by an abort or error is awaited so that a
    // rejection does not surface later and no batch outlives the run.
    await Promise.allSettled([...inflight, next]);
    extra?.close();
  }
}

/** Checks in full every universe key SCAN finds that the page pass did not cover. */
async function orphanPass(ctx: Context, run: RunState): Promise<void> {
  for await (const found of ctx.store.scanStrategyIds(1000)) {
    run.checkAbort();
    const fresh = found.filter(id => !run.covered.has(id));
    for (const id of fresh) run.covered.add(id);
    if (fresh.length === 0) continue;
    run.summary.orphanCandidates += fresh.length;
    await reconcileIds(ctx, ctx.transport, fresh, run.summary, () => false);
  }
}

/** A page as one batch, or on a cluster each strategy a batch of its own. */
async function reconcileIds(
  ctx: Context,
  t: ReconcileTransport,
  ids: readonly number[],
  summary: ReconcileSummary,
  trustable: (id: number) => boolean,
): Promise<void> {
  if (!t.oneStrategyPerBatch)
    return t.guarded(guard =>
      reconcileBatch(ctx, t, ids, summary, trustable, guard),
    );
  for (const id of ids)
    await t.guarded(guard =>
      reconcileBatch(ctx, t, [id], summary, trustable, guard),
    );
}

async function reconcileBatch(
  ctx: Context,
  t: ReconcileTransport,
  ids: readonly number[],
  summary: ReconcileSummary,
  trustable: (id: number) => boolean,
  guard: Guard,
): Promise<void> {
  const univKeys = ids.map(id => ctx.keys.stratUniv(id));
  const trust = ids.some(trustable) ? trustable : () => false;
  for (let attempt = 1; ; attempt++) {
    await guard(t.watch(univKeys));
    let plan: SettledPlan;
    try {
      plan = await decide(ctx, t, ids, univKeys, trust);
    } catch (err) {
      await t.unwatch(univKeys).catch(() => undefined);
      throw err;
    }
    if (await t.commit(writeSetOf(plan), univKeys, guard)) {
      tally(ctx.metrics, plan, summary);
      return;
    }
    summary.conflicts++;
    ctx.metrics.reconcileConflicts.inc();
    if (attempt >= MAX_BATCH_ATTEMPTS) {
      ctx.logger.warn(
        { firstId: ids[0], lastId: ids[ids.length - 1], attempts: attempt },
        'reconcile batch kept changing under sync jobs; left to them',
      );
      return;
    }
  }
}

/** Reads (under the caller's WATCH) what the batch needs and decides each strategy. */
async function decide(
  ctx: Context,
  t: ReconcileTransport,
  ids: readonly number[],
  univKeys: readonly string[],
  trustable: (id: number) => boolean,
): Promise<SettledPlan> {
  const { reader, malformed } = ctx;
  const { stored, counts } = await t.read(ids, univKeys);
  const states = storedStates(ids, stored, counts);
  const candidates = digestCandidates(states, trustable);
  const digests =
    candidates.length > 0
      ? await reader.digests(candidates)
      : new Map<number, StrategyDigest>();
  const trusted = trustedIds(states, digests, trustable);
  const needIds = ids.filter(id => !trusted.has(id));
  const rows =
    needIds.length > 0
      ? await reader.fetchManyWithDigest(needIds)
      : new Map<number, { row: StrategyRow; digest: string }>();
  const plan = planBatch({ states, trusted, rows });
  for (const { id, problem } of plan.readRows)
    if (problem !== null) malformed.report(id, problem, 'reconcile');
    else malformed.clear(id);
  const probes = probesOf(plan);
  if (probes.length === 0) return settlePlan(plan, () => false);
  const same = await t.sameMembers(probes);
  const sameIds = new Set(probes.filter((_, i) => same[i]).map(p => p.id));
  return settlePlan(plan, probe => sameIds.has(probe.id));
}

function tally(
  metrics: UniverseMetrics,
  plan: SettledPlan,
  summary: ReconcileSummary,
): void {
  summary.invalidTickers += plan.invalid;
  summary.malformedRows += plan.readRows.filter(r => r.problem !== null).length;
  if (plan.invalid > 0) metrics.invalidTickers.inc(plan.invalid);
  let compared = 0;
  for (const item of plan.items) {
    if (item.kind !== 'trusted') compared++;
    if (item.outcome === 'absent') continue;
    summary[item.outcome]++;
    metrics.reconcile.inc({ outcome: item.outcome });
    if (item.outcome === 'unchanged') continue;
    metrics.universeUpdates.inc();
    if (item.kind === 'set') metrics.universeSize.observe(item.tickers.length);
  }
  const trusted = plan.items.length - compared;
  summary.compared += compared;
  summary.trusted += trusted;
  if (compared > 0)
    metrics.reconcileChecks.inc({ method: 'members' }, compared);
  if (trusted > 0)
    metrics.reconcileChecks.inc({ method: 'fingerprint' }, trusted);
}

/**
 * A process's first run fills an empty Redis on a first start and catches up
 * with edits made while no replica ran: expected, so info. Drift found by a
 * later run means a sync was missed or a key lost.
 */
/**
 * Strategy ids start at 1, and the page pass reads ids above 0: an active
 * row with id 0 or −5 is never synced. Say so at every run rather than
 * leave one NOTIFY warning as the only trace.
 */
async function reportInvalidIds(
  ctx: Context,
  summary: ReconcileSummary,
): Promise<void> {
  const { count, ids } = await ctx.reader.activeIdsBelowOne(5);
  summary.invalidIds = count;
  ctx.metrics.invalidStrategyIds.set(count);
  if (count > 0)
    ctx.logger.warn(
      { count, lowest: ids },
      'alert-active strategies with an id below 1 never get a universe (strategy ids start at 1): fix or deactivate the rows',
    );
}

function reportRun(
  logger: Logger,
  summary: ReconcileSummary,
  firstRun: boolean,
): void {
  const drift = summary.created + summary.replaced + summary.removed;
  logger[drift > 0 && !firstRun ? 'warn' : 'info'](
    { ...summary, drift },
    drift === 0
      ? 'reconcile found Redis in sync'
      : firstRun
        ? 'first reconcile brought Redis up to date with PostgreSQL'
        : 'reconcile repaired drift between PostgreSQL and Redis',
  );
}

function emptySummary(): ReconcileSummary {
  return {
    created: 0,
    replaced: 0,
    removed: 0,
    unchanged: 0,
    activeStrategies: 0,
    orphanCandidates: 0,
    invalidTickers: 0,
    malformedRows: 0,
    invalidIds: 0,
    conflicts: 0,
    trusted: 0,
    compared: 0,
    durationMs: 0,
  };
}
