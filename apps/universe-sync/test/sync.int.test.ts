import {
  enqueueUniverseSync,
  UNIVERSE_SYNC_KEEP_FAILED,
} from '@tickpulse/contracts';
import { metricTotal } from '@tickpulse/service-kit';
import { waitFor } from '@tickpulse/testkit';
import { Queue } from 'bullmq';
import {
  createNamespace,
  createTestDb,
  gate,
  members,
  startPgProxy,
  startReplica,
  type TestDb,
  type TestNamespace,
  type TestReplica,
} from './helpers';

/** Waits until nothing is waiting, delayed or running (besides the reconcile scheduler's next run). */
async function drained(queue: Queue): Promise<void> {
  await waitFor(
    async () => {
      const c = await queue.getJobCounts('waiting', 'active', 'prioritized');
      if (!Object.values(c).every(n => n === 0)) return false;
      const delayed = await queue.getDelayed(0, 20);
      return delayed.every(j => j.id?.startsWith('repeat:'));
    },
    { timeoutMs: 20_000, what: 'queue drained' },
  );
}

describe('strategy sync jobs', () => {
  let db: TestDb;
  let ns: TestNamespace;
  let replica: TestReplica;
  let active = 0;
  let maxActive = 0;
  let gateFor: { id: number; g: ReturnType<typeof gate> } | undefined;

  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await db.drop();
  });
  beforeEach(async () => {
    ns = createNamespace();
    active = 0;
    maxActive = 0;
    gateFor = undefined;
    replica = await startReplica({
      databaseUrl: db.url,
      keys: ns.keys,
      bullmqPrefix: ns.bullmqPrefix,
      queueName: ns.queueName,
      hooks: {
        beforeStrategySync: () => {
          active++;
          maxActive = Math.max(maxActive, active);
        },
        afterStrategySync: () => {
          active--;
        },
        afterStrategyRead: async id => {
          const g = gateFor;
          if (g && g.id === id) {
            gateFor = undefined;
            g.g.enter();
            await g.g.wait;
          }
        },
      },
    });
  });
  afterEach(async () => {
    await replica.stop();
    await ns.cleanup();
  });

  const sync = async (id: number) => {
    await enqueueUniverseSync(replica.service.queue, id, 'test');
    await drained(replica.service.queue);
  };

  it('gives the exact keys through create, edit, global, empty, deactivate and delete', async () => {
    const { keys, redis } = ns;
    const id = await db.insert(true, ['aapl', ' msft ', null, 'AAPL']);
    await sync(id);
    expect(await members(redis, keys, id)).toEqual(['AAPL', 'MSFT']);

    await db.update(id, true, ['TSLA', 'BRK.A']);
    await sync(id);
    expect(await members(redis, keys, id)).toEqual(['BRK.A', 'TSLA']);

    await db.update(id, true, null); // global
    await sync(id);
    expect(await redis.exists(keys.stratUniv(id))).toBe(0);

    await db.update(id, true, ['NVDA']);
    await sync(id);
    expect(await members(redis, keys, id)).toEqual(['NVDA']);
    await db.update(id, true, []); // empty = global
    await sync(id);
    expect(await redis.exists(keys.stratUniv(id))).toBe(0);

    await db.update(id, true, ['NVDA']);
    await sync(id);
    await redis.hset(keys.stratLast(id), 'NVDA', '1752552000000');
    await db.update(id, false, ['NVDA']); // deactivated: set goes, LAST is the alert loop's
    await sync(id);
    expect(await redis.exists(keys.stratUniv(id))).toBe(0);
    expect(await redis.exists(keys.stratLast(id))).toBe(1);

    await db.update(id, true, ['AMD']);
    await sync(id);
    const evaluation = keys.stratEvaluation(id);
    for (const key of evaluation) await redis.hset(key, 'AMD', '1');
    await db.remove(id); // deleted: set, LAST and the lossless planner's hashes go
    await sync(id);
    expect(await redis.exists(keys.stratUniv(id), ...evaluation)).toBe(0);

    const other = await db.insert(true, [null, null]); // only NULL elements = global
    await sync(other);
    expect(await redis.exists(keys.stratUniv(other))).toBe(0);

    // 5 writes + 4 removals of an existing set (global, empty, inactive, deleted).
    expect(
      await metricTotal(replica.registry, 'tickpulse_universe_updates_total'),
    ).toBe(9);
  });

  it('writes the valid tickers, and counts and leaves out invalid elements', async () => {
    const id = await db.insert(true, ['AAPL', 'NOT A TICKER', '$SPY', 'msft']);
    await sync(id);
    expect(await members(ns.redis, ns.keys, id)).toEqual(['AAPL', 'MSFT']);
    expect(
      await metricTotal(
        replica.registry,
        'tickpulse_universe_invalid_tickers_total',
      ),
    ).toBe(2);

    await db.update(id, true, ['!!!']); // nothing valid left: no set (not global)
    await sync(id);
    expect(await ns.redis.exists(ns.keys.stratUniv(id))).toBe(0);
  });

  it('ends a burst of 100 edits with the last committed row, never syncing one strategy twice at once', async () => {
    const id = await db.insert(true, ['T0']);
    for (let i = 1; i <= 100; i++) {
      await db.update(id, true, [`T${i}`, `U${i}`]);
      await enqueueUniverseSync(replica.service.queue, id, 'burst');
    }
    await drained(replica.service.queue);
    expect(await members(ns.redis, ns.keys, id)).toEqual(['T100', 'U100']);
    // concurrency is 4, yet one strategy's syncs never overlap (keepLastIfActive).
    expect(maxActive).toBe(1);
    const jobs = await metricTotal(
      replica.registry,
      'tickpulse_universe_sync_jobs_total',
    );
    expect(jobs).toBeGreaterThanOrEqual(1);
    expect(jobs).toBeLessThanOrEqual(100);
  });

  it('does not lose an edit committed while that strategy is being synced', async () => {
    const id = await db.insert(true, ['OLD']);
    await sync(id);
    const g = gate();
    gateFor = { id, g };
    await db.update(id, true, ['FIRST']);
    const first = await enqueueUniverseSync(
      replica.service.queue,
      id,
      'edit 1',
    );
    await g.entered; // the first sync has read FIRST and is held before writing
    await db.update(id, true, ['SECOND']);
    const second = await enqueueUniverseSync(
      replica.service.queue,
      id,
      'edit 2',
    );
    expect(second).toBe(first); // collapsed into the active job's dedup id
    g.open();
    await waitFor(
      async () => (await members(ns.redis, ns.keys, id)).join() === 'SECOND',
      {
        timeoutMs: 20_000,
        what: 'the second edit synced',
      },
    );
    await drained(replica.service.queue);
    expect(await members(ns.redis, ns.keys, id)).toEqual(['SECOND']);
  });

  it('fails a garbage job at once with its reason and keeps it for inspection', async () => {
    const queue = replica.service.queue;
    const job = await queue.add(
      'sync-strategy',
      { kind: 'strategy', strategyId: 'abc' },
      { attempts: 5 },
    );
    await waitFor(async () => (await queue.getJobState(job.id!)) === 'failed', {
      what: 'job failed',
    });
    const failed = await queue.getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(
      /invalid universe-sync job: .*strategyId/s,
    );
    const m = await replica.registry
      .getSingleMetric('tickpulse_universe_sync_jobs_total')!
      .get();
    expect(
      m.values.find(
        v => v.labels.kind === 'unknown' && v.labels.result === 'invalid',
      )?.value,
    ).toBe(1);
  });

  it('keeps only the newest 100 failed jobs for a day, also of jobs added without options', async () => {
    const queue = replica.service.queue;
    expect(UNIVERSE_SYNC_KEEP_FAILED).toEqual({ age: 24 * 3600, count: 100 });
    const garbage = UNIVERSE_SYNC_KEEP_FAILED.count + 20;
    // Jobs added by hand (no options): the worker's fallback bounds them.
    for (let i = 0; i < garbage; i++)
      await queue.add('sync-strategy', {
        kind: 'strategy',
        strategyId: `x${i}`,
      });
    await waitFor(
      async () =>
        (await queue.getJobCounts('waiting', 'active')).waiting === 0 &&
        (await queue.getJobCounts('active')).active === 0,
      { timeoutMs: 20_000, what: 'garbage jobs processed' },
    );
    const failed = await queue.getFailed(0, -1);
    expect(failed).toHaveLength(UNIVERSE_SYNC_KEEP_FAILED.count);
    expect(failed.map(j => j.data.strategyId)).toContain(`x${garbage - 1}`);
    // The producers set the same bound (on a queue no worker takes from).
    const idle = new Queue(`${ns.queueName}-idle`, {
      connection: queue.opts.connection,
      prefix: ns.bullmqPrefix,
    });
    try {
      const id = await enqueueUniverseSync(idle, 424242, 'retention test');
      expect((await idle.getJob(id!))?.opts.removeOnFail).toEqual(
        UNIVERSE_SYNC_KEEP_FAILED,
      );
    } finally {
      await idle.obliterate({ force: true });
      await idle.close();
    }
  });
});

describe('strategy sync while PostgreSQL is down', () => {
  it('retries with backoff and keeps the previous set until the database is back', async () => {
    const db = await createTestDb();
    const ns = createNamespace();
    const proxy = await startPgProxy();
    const replica = await startReplica({
      databaseUrl: proxy.url(db.schema),
      keys: ns.keys,
      bullmqPrefix: ns.bullmqPrefix,
      queueName: ns.queueName,
    });
    try {
      const queue = replica.service.queue;
      const id = await db.insert(true, ['KEEP', 'ME']);
      await enqueueUniverseSync(queue, id, 'initial');
      await drained(queue);
      expect(await members(ns.redis, ns.keys, id)).toEqual(['KEEP', 'ME']);

      proxy.cut();
      await db.update(id, true, ['NEW']);
      const jobId = (await enqueueUniverseSync(queue, id, 'while down'))!;
      const job = await waitFor(
        async () => {
          const j = await queue.getJob(jobId);
          return j && j.attemptsMade >= 2 ? j : undefined;
        },
        { timeoutMs: 30_000, what: 'two failed attempts' },
      );
      expect(await queue.getJobState(jobId)).toMatch(/delayed|waiting|active/);
      expect(job.stacktrace?.length ?? 0).toBeGreaterThanOrEqual(1);
      expect(await members(ns.redis, ns.keys, id)).toEqual(['KEEP', 'ME']);

      proxy.restore();
      await waitFor(
        async () => (await members(ns.redis, ns.keys, id)).join() === 'NEW',
        {
          timeoutMs: 30_000,
          what: 'sync after PostgreSQL is back',
        },
      );
      const m = await replica.registry
        .getSingleMetric('tickpulse_universe_sync_jobs_total')!
        .get();
      expect(
        m.values.find(
          v => v.labels.kind === 'strategy' && v.labels.result === 'error',
        )?.value,
      ).toBeGreaterThanOrEqual(2);
    } finally {
      await replica.stop();
      await proxy.close();
      await ns.cleanup();
      await db.drop();
    }
  });
});
