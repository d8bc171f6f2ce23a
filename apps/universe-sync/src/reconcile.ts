import {
  desiredUniverse,
  isCluster,
  type Logger,
  type RedisClient,
  type RedisKeys,
  type StrategyReader,
  type UniverseStore,
  queueEncodedSadd,
  waitForRedisReady,
  EncodedMembersScript,
  queueEncodedMembersScript,
} from '@tickpulse/shared';
import {
  createMalformedRowReporter,
  type MalformedRowReporter,
} from './malformed-rows.js';
import type { UniverseMetrics } from './metrics.js';

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
  /** Batches re-read because a sync job wrote one of their keys meanwhile. */
  conflicts: number;
  /** Strategies found unchanged by stored fingerprint + SCARD, members not compared. */
  trusted: number;
  /** Strategies whose members were compared (or that needed writing). */
  compared: number;
  durationMs: number;
}

type Outcome = 'created' | 'replaced' | 'removed' | 'unchanged';

/** Thrown when a run is stopped (lease lost, shutdown) between batches. */
export class ReconcileAbortedError extends Error {
  override name = 'ReconcileAbortedError';
}

/** Runs full reconciles; one instance per process. */
export interface Reconciler {
  run(signal?: AbortSignal): Promise<ReconcileSummary>;
}

/**
 * A set is written as UNLINK (when it exists) + one pre-encoded SADD of all
 * its members (`queueEncodedSadd`) inside the batch's MULTI, so WATCH guards it
 * and a reader never sees it half written. The member comparison is one
 * pre-encoded EVAL of VERIFY_SCRIPT per set, each member its own argument:
 * 1 when every member is in the set, else 0 (the caller has already matched
 * SCARD against the number of distinct members, so 1 means equal). One
 * integer per set comes back: SMISMEMBER's one per member cost Node more to
 * decode than the comparison itself, and members joined into one argument
 * cost Redis more to split in Lua than the lookups.
 */
const VERIFY_SCRIPT = `
local n = #ARGV
for i = 1, n, 1000 do
  local found = redis.call('SMISMEMBER', KEYS[1], unpack(ARGV, i, math.min(i + 999, n)))
  for j = 1, #found do
    if found[j] == 0 then return 0 end
  end
end
return 1`;
/** A batch whose keys keep changing under it is left to the sync jobs after this many tries. */
const MAX_BATCH_ATTEMPTS = 5;
/** Default of `fullCheckEvery`. */
export const DEFAULT_FULL_CHECK_EVERY = 4;
/**
 * Bump when `desiredUniverse` or the row version changes meaning: every
 * stored fingerprint then stops matching. 3: row version (xmin/ctid/size)
 * instead of md5 of the universe's text.
 */
const FINGERPRINT_VERSION = '3';

/** The stored fingerprint of a set computed from a row of this version (`StrategyDigest.digest`) with `size` members. */
function fingerprint(version: string, size: number): string {
  return `${FINGERPRINT_VERSION}:${version}:${size}`;
}

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
  const { reader, store, redis, keys, metrics, logger, pageSize } = deps;
  const malformed = deps.malformed ?? createMalformedRowReporter(deps);
  const fullCheckEvery = deps.fullCheckEvery ?? DEFAULT_FULL_CHECK_EVERY;
  if (!Number.isInteger(fullCheckEvery) || fullCheckEvery < 0)
    throw new RangeError(
      `fullCheckEvery must be a non-negative integer, got ${fullCheckEvery}`,
    );
  const cluster = isCluster(redis);
  if (!isCluster(redis)) redis.options.autoResendUnfulfilledCommands = false;
  const fpKey = keys.univFingerprints();
  // Rotates the full-check slice; starts anywhere so that replicas taking
  // turns do not keep checking the same slice.
  let runNumber = Math.floor(Math.random() * Math.max(fullCheckEvery, 1));

  interface PlanItem {
    id: number;
    outcome: Outcome | 'absent';
    tickers?: string[];
    deleted?: boolean;
    /** Members in Redis when read (SCARD). */
    count: number;
    /** Fingerprint stored in Redis when read. */
    storedFp: string | null;
    /** Fingerprint to store after this batch (null: none). */
    fp?: string | null;
    /** Compared in full (not trusted by fingerprint). */
    compared: boolean;
  }
  interface Plan {
    items: PlanItem[];
    writes: number;
    invalid: number;
    malformed: number;
  }

  async function reconcileBatch(
    conn: RedisClient,
    ids: readonly number[],
    summary: ReconcileSummary,
    trustable: (id: number) => boolean,
  ): Promise<void> {
    // With autoResendUnfulfilledCommands off, ioredis drops (never settles)
    // the commands in flight when the connection closes; fail the batch
    // instead of waiting forever. Its keys are left as they were or as a
    // whole EXEC made them, never half written.
    const watched: { once: typeof conn.once; off: typeof conn.off }[] =
      // A cluster: the node connections carrying commands now (a dead
      // node's connection keeps closing while it retries).
      isCluster(conn)
        ? [conn, ...conn.nodes().filter(n => n.status === 'ready')]
        : [conn];
    let onClose = () => undefined as void;
    const lost = new Promise<never>((_, reject) => {
      onClose = () =>
        reject(new Error('reconcile connection closed during a batch'));
      for (const c of watched) c.once('close', onClose);
    });
    lost.catch(() => undefined);
    const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, lost]);
    try {
      await reconcileBatchOn(conn, ids, summary, trustable, guard);
    } finally {
      for (const c of watched) c.off('close', onClose);
    }
  }

  async function reconcileBatchOn(
    conn: RedisClient,
    ids: readonly number[],
    summary: ReconcileSummary,
    trustable: (id: number) => boolean,
    guard: <T>(p: Promise<T>) => Promise<T>,
  ): Promise<void> {
    const univKeys = ids.map(id => keys.stratUniv(id));
    const anyTrustable = ids.some(trustable);
    for (let attempt = 1; ; attempt++) {
      await guard(conn.watch(...univKeys));
      let plan: Plan;
      try {
        plan = await compare(
          conn,
          ids,
          univKeys,
          anyTrustable ? trustable : null,
        );
      } catch (err) {
        await unwatch(conn, univKeys).catch(() => undefined);
        throw err;
      }
      const tx = conn.multi();
      // Cluster: only the one universe key may be in the transaction.
      const after: (() => Promise<unknown>)[] = [];
      let commands = 0;
      const fpSet: string[] = [];
      const fpDel: string[] = [];
      for (const item of plan.items) {
        const key = keys.stratUniv(item.id);
        if (item.outcome === 'created' || item.outcome === 'replaced') {
          // Created: SCARD found no set and WATCH holds that until EXEC.
          if (item.outcome === 'replaced') tx.unlink(key);
          queueEncodedSadd(tx, key, item.tickers!);
          commands++;
        } else if (item.outcome === 'removed') {
          tx.unlink(key);
          if (item.deleted) {
            const last = keys.stratLast(item.id);
            if (cluster) after.push(() => conn.unlink(last));
            else tx.unlink(last);
          }
          commands++;
        }
        if (item.fp !== undefined && item.fp !== item.storedFp) {
          if (item.fp === null) fpDel.push(String(item.id));
          else fpSet.push(String(item.id), item.fp);
        }
      }
      if (cluster) {
        if (fpSet.length > 0) after.push(() => conn.hset(fpKey, ...fpSet));
        if (fpDel.length > 0) after.push(() => conn.hdel(fpKey, ...fpDel));
      } else {
        if (fpSet.length > 0) tx.hset(fpKey, ...fpSet);
        if (fpDel.length > 0) tx.hdel(fpKey, ...fpDel);
      }
      if (
        commands === 0 &&
        (cluster || (fpSet.length === 0 && fpDel.length === 0))
      ) {
        await guard(unwatch(conn, univKeys));
        for (const step of after) await guard(step());
        tally(plan, summary);
        return;
      }
      const res = await guard(tx.exec());
      if (res !== null) {
        for (const [err] of res) if (err) throw err;
        for (const step of after) await guard(step());
        tally(plan, summary);
        return;
      }
      summary.conflicts++;
      metrics.reconcileConflicts.inc();
      if (attempt >= MAX_BATCH_ATTEMPTS) {
        logger.warn(
          { firstId: ids[0], lastId: ids[ids.length - 1], attempts: attempt },
          'reconcile batch kept changing under sync jobs; left to them',
        );
        return;
      }
    }
  }

  /**
   * Reads (under the caller's WATCH) what the batch needs and decides each
   * strategy's outcome. `trustable` null: compare every strategy in full.
   */
  async function compare(
    conn: RedisClient,
    ids: readonly number[],
    univKeys: readonly string[],
    trustable: ((id: number) => boolean) | null,
  ): Promise<Plan> {
    let stored: (string | null)[];
    let counts: number[];
    if (cluster) {
      // A cluster pipeline must stay on one node; the keys do not.
      [stored, ...counts] = await Promise.all([
        conn.hmget(fpKey, ...ids.map(String)),
        ...univKeys.map(key => conn.scard(key)),
      ]);
    } else {
      const reads = conn.pipeline();
      reads.hmget(fpKey, ...ids.map(String));
      for (const key of univKeys) reads.scard(key);
      [stored, ...counts] = checked(await reads.exec()) as [
        (string | null)[],
        ...number[],
      ];
    }
    // Digests only where a stored fingerprint could vouch for the set (none
    // on a cold run, so PostgreSQL hashes nothing it need not).
    const candidates = trustable
      ? ids.filter((id, i) => stored[i] != null && trustable(id))
      : [];
    const digests =
      candidates.length > 0 ? await reader.digests(candidates) : undefined;

    const items: PlanItem[] = [];
    const needIds: number[] = [];
    const needItems: PlanItem[] = [];
    ids.forEach((id, i) => {
      const count = counts[i]!;
      const storedFp = stored[i] ?? null;
      const d = digests?.get(id);
      const trusted =
        d !== undefined &&
        d.alertactive &&
        trustable!(id) &&
        storedFp === fingerprint(d.digest, count);
      const item: PlanItem = {
        id,
        outcome: trusted && count > 0 ? 'unchanged' : 'absent',
        count,
        storedFp,
        compared: !trusted,
      };
      items.push(item);
      if (!trusted) {
        needIds.push(id);
        needItems.push(item);
      }
    });

    let invalid = 0;
    let malformedRows = 0;
    if (needIds.length > 0) {
      const rows = await reader.fetchManyWithDigest(needIds);
      const probed: PlanItem[] = [];
      for (const item of needItems) {
        const found = rows.get(item.id);
        const desired = desiredUniverse(found?.row);
        invalid += desired.invalid.length;
        if (desired.kind === 'none' && desired.reason === 'malformed') {
          malformedRows++;
          malformed.report(item.id, desired.problem!, 'reconcile');
        } else malformed.clear(item.id);
        const n = item.count;
        if (desired.kind === 'set') {
          item.tickers = desired.tickers;
          item.fp = fingerprint(found!.digest, desired.tickers.length);
          if (n === 0) item.outcome = 'created';
          else if (n !== desired.tickers.length) item.outcome = 'replaced';
          else {
            item.outcome = 'unchanged';
            probed.push(item);
          }
        } else {
          item.deleted = found === undefined;
          // An active global strategy keeps a fingerprint too (size 0), so
          // the next run need not read its row again.
          item.fp =
            found && found.row.alertactive
              ? fingerprint(found.digest, 0)
              : null;
          item.outcome = n > 0 ? 'removed' : 'absent';
        }
      }
      if (probed.length > 0) {
        // A cluster pipeline must stay on one node; the keys do not.
        const verify = cluster ? null : conn.pipeline();
        const calls: Promise<unknown>[] = [];
        for (const item of probed) {
          const key = keys.stratUniv(item.id);
          if (verify)
            queueEncodedMembersScript(
              verify,
              VERIFY_SCRIPT,
              key,
              item.tickers!,
            );
          else {
            const cmd = new EncodedMembersScript(
              VERIFY_SCRIPT,
              key,
              item.tickers!,
            );
            void conn.sendCommand(cmd);
            calls.push(cmd.promise);
          }
        }
        const replies = (
          verify ? checked(await verify.exec()) : await Promise.all(calls)
        ) as number[];
        probed.forEach((item, i) => {
          if (replies[i] !== 1) item.outcome = 'replaced';
        });
      }
    }
    let writes = 0;
    for (const i of items)
      if (i.outcome !== 'unchanged' && i.outcome !== 'absent') writes++;
    return { items, writes, invalid, malformed: malformedRows };
  }

  function tally(plan: Plan, summary: ReconcileSummary): void {
    summary.invalidTickers += plan.invalid;
    summary.malformedRows += plan.malformed;
    if (plan.invalid > 0) metrics.invalidTickers.inc(plan.invalid);
    let compared = 0;
    for (const item of plan.items) {
      if (item.compared) compared++;
      if (item.outcome === 'absent') continue;
      summary[item.outcome]++;
      metrics.reconcile.inc({ outcome: item.outcome });
      if (item.outcome !== 'unchanged') metrics.universeUpdates.inc();
      if (item.outcome === 'created' || item.outcome === 'replaced')
        metrics.universeSize.observe(item.tickers!.length);
    }
    const trusted = plan.items.length - compared;
    summary.compared += compared;
    summary.trusted += trusted;
    if (compared > 0)
      metrics.reconcileChecks.inc({ method: 'members' }, compared);
    if (trusted > 0)
      metrics.reconcileChecks.inc({ method: 'fingerprint' }, trusted);
  }

  /** Cluster: each strategy a batch of its own, one after another. */
  async function perStrategy(
    conn: RedisClient,
    ids: readonly number[],
    summary: ReconcileSummary,
    trustable: (id: number) => boolean,
  ): Promise<void> {
    for (const id of ids) await reconcileBatch(conn, [id], summary, trustable);
  }

  /** A second reconcile connection for this run, or undefined when Redis does not take one quickly. */
  async function openLane(): Promise<RedisClient | undefined> {
    // A cluster works one strategy at a time on one connection (see above).
    if (isCluster(redis)) return undefined;
    const conn = redis.duplicate({
      connectionName: `${redis.options.connectionName ?? 'reconcile'}:2`,
      autoResendUnfulfilledCommands: false,
    });
    conn.on('error', (err: Error) => {
      metrics.errors.inc({ where: 'reconcile' });
      logger.warn({ err }, 'second reconcile connection error');
    });
    if (await waitForRedisReady(conn, 5000)) return conn;
    conn.disconnect();
    logger.warn('second reconcile connection not ready; one batch at a time');
    return undefined;
  }

  return {
    async run(signal) {
      const started = Date.now();
      const summary: ReconcileSummary = {
        created: 0,
        replaced: 0,
        removed: 0,
        unchanged: 0,
        activeStrategies: 0,
        orphanCandidates: 0,
        invalidTickers: 0,
        malformedRows: 0,
        conflicts: 0,
        trusted: 0,
        compared: 0,
        durationMs: 0,
      };
      const slice = fullCheckEvery > 0 ? runNumber++ % fullCheckEvery : -1;
      const trustable = (id: number) =>
        fullCheckEvery !== 1 && id % Math.max(fullCheckEvery, 1) !== slice;
      const covered = new Set<number>();
      const checkAbort = () => {
        if (signal?.aborted)
          throw new ReconcileAbortedError(
            `reconcile stopped: ${String(signal.reason ?? 'aborted')}`,
          );
      };

      // Two batches in flight, each on its own connection (WATCH state is
      // per connection): one batch's PostgreSQL reads and JavaScript overlap
      // the other's Redis work. Without a second connection, one at a time.
      const lanes = [redis];
      const extra = await openLane();
      if (extra) lanes.push(extra);
      const inflight: Promise<void>[] = [];
      let lane = 0;
      let next: Promise<number[]> | undefined = reader.activeIdsAfter(
        0,
        pageSize,
      );
      try {
        while (next) {
          checkAbort();
          const ids = await next;
          next = undefined;
          if (ids.length === 0) break;
          // The next page's ids while this page is compared and written;
          // ids need no WATCH (each batch re-reads its rows under WATCH).
          if (ids.length === pageSize) {
            next = reader.activeIdsAfter(ids[ids.length - 1]!, pageSize);
            next.catch(() => undefined);
          }
          summary.activeStrategies += ids.length;
          for (const id of ids) covered.add(id);
          const conn = lanes[lane++ % lanes.length]!;
          const batch = cluster
            ? perStrategy(conn, ids, summary, trustable)
            : reconcileBatch(conn, ids, summary, trustable);
          batch.catch(() => undefined);
          inflight.push(batch);
          if (inflight.length >= lanes.length) await inflight.shift();
        }
        for (const batch of inflight.splice(0)) await batch;
      } finally {
        // Whatever is left behind by an abort or error is awaited so that a
        // rejection does not surface later and no batch outlives the run.
        await Promise.allSettled([...inflight, next]);
        extra?.disconnect();
      }

      for await (const found of store.scanStrategyIds(1000)) {
        checkAbort();
        const fresh = found.filter(id => !covered.has(id));
        for (const id of fresh) covered.add(id);
        if (fresh.length === 0) continue;
        summary.orphanCandidates += fresh.length;
        if (cluster) await perStrategy(redis, fresh, summary, () => false);
        else await reconcileBatch(redis, fresh, summary, () => false);
      }

      summary.durationMs = Date.now() - started;
      metrics.reconcileDuration.observe(summary.durationMs / 1000);
      const drift = summary.created + summary.replaced + summary.removed;
      logger[drift > 0 ? 'warn' : 'info'](
        { ...summary, drift },
        drift > 0
          ? 'reconcile repaired drift between PostgreSQL and Redis'
          : 'reconcile found Redis in sync',
      );
      return summary;
    },
  };
}

/**
 * Drops the connection's WATCH. On a cluster UNWATCH (no key) would go to
 * any node; an EXEC of a one-read transaction on the watched key reaches the
 * node holding the WATCH and clears it there.
 */
async function unwatch(
  conn: RedisClient,
  watchedKeys: readonly string[],
): Promise<void> {
  if (isCluster(conn)) await conn.multi().exists(watchedKeys[0]!).exec();
  else await conn.unwatch();
}

function checked(results: [Error | null, unknown][] | null): unknown[] {
  if (results === null) throw new Error('Redis pipeline returned no results');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
