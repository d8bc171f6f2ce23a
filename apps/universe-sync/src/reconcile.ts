import type { Logger, RedisKeys, UniverseStore } from '@tickpulse/shared';
import type { Redis } from 'ioredis';
import type { StrategyReader } from './db.js';
import type { UniverseMetrics } from './metrics.js';
import { desiredUniverse, type StrategyRow } from './universe.js';

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
  /** Batches re-read because a sync job wrote one of their keys meanwhile. */
  conflicts: number;
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

/** Members per SADD inside a reconcile transaction. */
const SADD_CHUNK = 5000;
/** A batch whose keys keep changing under it is left to the sync jobs after this many tries. */
const MAX_BATCH_ATTEMPTS = 5;

/**
 * Creates the reconciler.
 *
 * The table is read in keyset pages of alert-active ids; each page is then
 * compared and written as a batch: WATCH its keys, read the rows, compare
 * with SCARD then SMISMEMBER (pipelined, two round trips per batch), and write
 * every difference in one MULTI/EXEC. WATCH makes a batch retry when a sync
 * job wrote one of its keys between the read and the write, so reconcile
 * never puts back a universe older than what a sync job just wrote. Finally
 * every `STRAT:*:UNIV` found by SCAN that the page pass did not cover is
 * checked against its row in the same way (removed when deleted, inactive or
 * global; a deleted strategy's `:LAST` goes too).
 *
 * @param deps.redis a connection of its own: WATCH state is per connection.
 */
export function createReconciler(deps: {
  reader: StrategyReader;
  store: UniverseStore;
  redis: Redis;
  keys: RedisKeys;
  metrics: UniverseMetrics;
  logger: Logger;
  pageSize: number;
}): Reconciler {
  const { reader, store, redis, keys, metrics, logger, pageSize } = deps;

  async function reconcileBatch(
    ids: readonly number[],
    summary: ReconcileSummary,
  ): Promise<void> {
    const univKeys = ids.map(id => keys.stratUniv(id));
    for (let attempt = 1; ; attempt++) {
      await redis.watch(...univKeys);
      let rows: Map<number, StrategyRow>;
      try {
        rows = await reader.fetchMany(ids);
      } catch (err) {
        await redis.unwatch().catch(() => undefined);
        throw err;
      }
      const plan = await compare(ids, rows);
      if (plan.writes === 0) {
        await redis.unwatch();
        tally(plan, summary);
        return;
      }
      const tx = redis.multi();
      for (const item of plan.items) {
        const key = keys.stratUniv(item.id);
        if (item.outcome === 'created' || item.outcome === 'replaced') {
          tx.unlink(key);
          const t = item.tickers!;
          for (let i = 0; i < t.length; i += SADD_CHUNK)
            tx.sadd(key, ...t.slice(i, i + SADD_CHUNK));
        } else if (item.outcome === 'removed') {
          tx.unlink(key);
          if (item.deleted) tx.unlink(keys.stratLast(item.id));
        }
      }
      const res = await tx.exec();
      if (res !== null) {
        for (const [err] of res) if (err) throw err;
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

  interface PlanItem {
    id: number;
    outcome: Outcome | 'absent';
    tickers?: string[];
    deleted?: boolean;
  }
  interface Plan {
    items: PlanItem[];
    writes: number;
    invalid: number;
  }

  async function compare(
    ids: readonly number[],
    rows: Map<number, StrategyRow>,
  ): Promise<Plan> {
    const items: PlanItem[] = [];
    let invalid = 0;
    const reads = redis.pipeline();
    for (const id of ids) {
      const row = rows.get(id);
      const desired = desiredUniverse(row);
      invalid += desired.invalid.length;
      if (desired.kind === 'set') {
        items.push({ id, outcome: 'unchanged', tickers: desired.tickers });
        reads.scard(keys.stratUniv(id));
      } else {
        items.push({ id, outcome: 'absent', deleted: row === undefined });
        reads.exists(keys.stratUniv(id));
      }
    }
    const counts = checked(await reads.exec()) as number[];

    const members = redis.pipeline();
    const probed: PlanItem[] = [];
    items.forEach((item, i) => {
      const n = counts[i]!;
      if (item.tickers) {
        if (n === 0) item.outcome = 'created';
        else if (n !== item.tickers.length) item.outcome = 'replaced';
        else {
          members.smismember(keys.stratUniv(item.id), ...item.tickers);
          probed.push(item);
        }
      } else if (n > 0) item.outcome = 'removed';
    });
    if (probed.length > 0) {
      const found = checked(await members.exec()) as number[][];
      probed.forEach((item, i) => {
        if (found[i]!.includes(0)) item.outcome = 'replaced';
      });
    }
    const writes = items.filter(
      i => i.outcome !== 'unchanged' && i.outcome !== 'absent',
    ).length;
    return { items, writes, invalid };
  }

  function tally(plan: Plan, summary: ReconcileSummary): void {
    summary.invalidTickers += plan.invalid;
    if (plan.invalid > 0) metrics.invalidTickers.inc(plan.invalid);
    for (const item of plan.items) {
      if (item.outcome === 'absent') continue;
      summary[item.outcome]++;
      metrics.reconcile.inc({ outcome: item.outcome });
      if (item.outcome !== 'unchanged') metrics.universeUpdates.inc();
      if (item.outcome === 'created' || item.outcome === 'replaced')
        metrics.universeSize.observe(item.tickers!.length);
    }
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
        conflicts: 0,
        durationMs: 0,
      };
      const covered = new Set<number>();
      const checkAbort = () => {
        if (signal?.aborted)
          throw new ReconcileAbortedError(
            `reconcile stopped: ${String(signal.reason ?? 'aborted')}`,
          );
      };

      let after = 0;
      for (;;) {
        checkAbort();
        const ids = await reader.activeIdsAfter(after, pageSize);
        if (ids.length === 0) break;
        summary.activeStrategies += ids.length;
        for (const id of ids) covered.add(id);
        await reconcileBatch(ids, summary);
        after = ids[ids.length - 1]!;
        if (ids.length < pageSize) break;
      }

      for await (const found of store.scanStrategyIds(1000)) {
        checkAbort();
        const fresh = found.filter(id => !covered.has(id));
        for (const id of fresh) covered.add(id);
        if (fresh.length === 0) continue;
        summary.orphanCandidates += fresh.length;
        await reconcileBatch(fresh, summary);
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

function checked(results: [Error | null, unknown][] | null): unknown[] {
  if (results === null) throw new Error('Redis pipeline returned no results');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
