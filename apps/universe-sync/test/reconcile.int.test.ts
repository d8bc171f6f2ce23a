import { enqueueReconcile, JOB_NAMES } from '@tickpulse/contracts';
import { metricTotal } from '@tickpulse/service-kit';
import { deletePrefix, waitFor } from '@tickpulse/testkit';
import type { ReconcileSummary } from '../src/reconcile';
import { RECONCILE_SCHEDULER_ID } from '../src/service';
import {
  createNamespace,
  createTestDb,
  gate,
  members,
  startReplica,
  type TestDb,
  type TestNamespace,
} from './helpers';

describe('reconcile', () => {
  let db: TestDb;
  let ns: TestNamespace;

  beforeEach(async () => {
    db = await createTestDb();
    ns = createNamespace();
  });
  afterEach(async () => {
    await ns.cleanup();
    await db.drop();
  });

  /** Every universe key under the test prefix, as strategy ids. */
  const univIds = async (): Promise<number[]> => {
    const found: number[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await ns.redis.scan(
        cursor,
        'MATCH',
        ns.keys.stratUnivPattern(),
        'COUNT',
        1000,
      );
      cursor = next;
      for (const k of keys) found.push(ns.keys.strategyIdOfUnivKey(k)!);
    } while (cursor !== '0');
    return found.sort((a, b) => a - b);
  };

  it('repairs a deleted key, an extra member, stale sets and an orphan of a deleted strategy', async () => {
    const summaries: ReconcileSummary[] = [];
    const replica = await startReplica({
      databaseUrl: db.url,
      keys: ns.keys,
      bullmqPrefix: ns.bullmqPrefix,
      queueName: ns.queueName,
      hooks: { afterReconcile: s => summaries.push(s) },
    });
    try {
      const { keys, redis } = ns;
      const missing = await db.insert(true, ['AAPL', 'MSFT']);
      const extra = await db.insert(true, ['TSLA']);
      const inactive = await db.insert(false, ['AMD']);
      const global = await db.insert(true, null);
      const fine = await db.insert(true, ['NVDA', 'bad ticker']);
      const deleted = await db.insert(true, ['GONE']);
      await db.remove(deleted);
      await redis.sadd(keys.stratUniv(extra), 'TSLA', 'EXTRA');
      await redis.sadd(keys.stratUniv(inactive), 'AMD');
      await redis.hset(keys.stratLast(inactive), 'AMD', '1');
      await redis.sadd(keys.stratUniv(global), 'STALE');
      await redis.sadd(keys.stratUniv(fine), 'NVDA');
      await redis.sadd(keys.stratUniv(deleted), 'GONE');
      for (const key of keys.stratEvaluation(deleted))
        await redis.hset(key, 'GONE', '1');
      // Ids below 1 are never paged: counted and reported, not synced.
      await db.pool.query(
        `INSERT INTO strategies (strategyid, alertactive, alert_universe_full)
         VALUES (0, true, ARRAY['ZERO']), (-5, true, ARRAY['NEG']), (-7, false, NULL)`,
      );

      await enqueueReconcile(replica.service.queue, 'test');
      await waitFor(() => summaries.length === 1, {
        timeoutMs: 20_000,
        what: 'reconcile',
      });
      expect(summaries[0]).toMatchObject({
        created: 1,
        replaced: 1,
        removed: 3,
        unchanged: 1,
        activeStrategies: 4,
        orphanCandidates: 2,
        invalidTickers: 1,
        invalidIds: 2,
      });
      expect(
        await metricTotal(
          replica.registry,
          'tickpulse_universe_invalid_strategy_ids',
        ),
      ).toBe(2);
      expect(await univIds()).toEqual([missing, extra, fine]);
      expect(await members(redis, keys, missing)).toEqual(['AAPL', 'MSFT']);
      expect(await members(redis, keys, extra)).toEqual(['TSLA']);
      expect(await redis.exists(...keys.stratEvaluation(deleted))).toBe(0);
      expect(await redis.exists(keys.stratLast(inactive))).toBe(1);

      const outcome = async (o: string) =>
        (
          await replica.registry
            .getSingleMetric('tickpulse_universe_reconcile_total')!
            .get()
        ).values.find(v => v.labels.outcome === o)?.value ?? 0;
      expect(await outcome('removed')).toBe(3);

      await enqueueReconcile(replica.service.queue, 'again');
      await waitFor(() => summaries.length === 2, {
        timeoutMs: 20_000,
        what: 'second reconcile',
      });
      expect(summaries[1]).toMatchObject({
        created: 0,
        replaced: 0,
        removed: 0,
        unchanged: 3,
      });
      expect(await outcome('unchanged')).toBe(4);
      expect(
        await metricTotal(replica.registry, 'tickpulse_universe_updates_total'),
      ).toBe(5);
    } finally {
      await replica.stop();
    }
  });

  it('pages through many strategies and writes them all', async () => {
    const summaries: ReconcileSummary[] = [];
    const replica = await startReplica({
      databaseUrl: db.url,
      keys: ns.keys,
      bullmqPrefix: ns.bullmqPrefix,
      queueName: ns.queueName,
      settings: { reconcilePageSize: 37 },
      hooks: { afterReconcile: s => summaries.push(s) },
    });
    try {
      await db.pool.query(
        `INSERT INTO strategies (alertactive, alert_universe_full)
         SELECT g % 5 <> 0, ARRAY(SELECT 'T' || g || 'X' || h FROM generate_series(1, 1 + g % 7) h)
           FROM generate_series(1, 300) g`,
      );
      await enqueueReconcile(replica.service.queue, 'test');
      await waitFor(() => summaries.length === 1, {
        timeoutMs: 30_000,
        what: 'reconcile',
      });
      expect(summaries[0]).toMatchObject({
        created: 240,
        unchanged: 0,
        removed: 0,
        activeStrategies: 240,
      });
      const ids = await univIds();
      expect(ids).toHaveLength(240);
      expect(ids.every(id => id % 5 !== 0)).toBe(true);
      const sample = ids[17]!;
      expect(await members(ns.redis, ns.keys, sample)).toHaveLength(
        1 + (sample % 7),
      );
    } finally {
      await replica.stop();
    }
  });

  it('runs on one replica at a time when two are up, and the scheduler is shared', async () => {
    const intervals: { who: string; start: number; end: number }[] = [];
    const entered: string[] = [];
    const hold = gate();
    const make = (who: string) =>
      startReplica({
        databaseUrl: db.url,
        keys: ns.keys,
        bullmqPrefix: ns.bullmqPrefix,
        queueName: ns.queueName,
        hooks: {
          beforeReconcile: async () => {
            entered.push(who);
            intervals.push({ who, start: Date.now(), end: Infinity });
            hold.enter();
            await hold.wait;
          },
          afterReconcile: () => {
            intervals.find(i => i.who === who && i.end === Infinity)!.end =
              Date.now();
          },
        },
      });
    const a = await make('a');
    const b = await make('b');
    try {
      expect(await a.service.queue.getJobSchedulers()).toEqual([
        expect.objectContaining({ key: RECONCILE_SCHEDULER_ID }),
      ]);
      await db.insert(true, ['ONE']);
      await enqueueReconcile(a.service.queue, 'on demand');
      await hold.entered;
      // What the scheduler adds: a reconcile job without deduplication, taken by any free worker.
      await b.service.queue.add(
        JOB_NAMES.reconcile,
        { kind: 'reconcile', reason: 'schedule' },
        { removeOnComplete: true },
      );
      await b.service.queue.add(
        JOB_NAMES.reconcile,
        { kind: 'reconcile', reason: 'schedule' },
        { removeOnComplete: true },
      );
      const deferred = async () =>
        (await metricTotal(
          a.registry,
          'tickpulse_universe_reconcile_runs_total',
        )) +
        (await metricTotal(
          b.registry,
          'tickpulse_universe_reconcile_runs_total',
        ));
      await waitFor(async () => (await deferred()) >= 2, {
        timeoutMs: 20_000,
        what: 'the others deferred',
      });
      expect(entered).toHaveLength(1);

      hold.open();
      await waitFor(
        () =>
          intervals.length === 3 && intervals.every(i => i.end !== Infinity),
        {
          timeoutMs: 30_000,
          what: 'all three reconciles',
        },
      );
      const sorted = [...intervals].sort((x, y) => x.start - y.start);
      for (let i = 1; i < sorted.length; i++)
        expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end);
      expect(await members(ns.redis, ns.keys, 1)).toEqual(['ONE']);
    } finally {
      hold.open();
      await a.stop();
      await b.stop();
      await deletePrefix(ns.redis, ns.prefix);
    }
  });
});
