import { Writable } from 'node:stream';
import { enqueueReconcile, enqueueUniverseSync } from '@tickpulse/contracts';
import { createLogger, metricTotal } from '@tickpulse/service-kit';
import { waitFor } from '@tickpulse/testkit';
import type { ReconcileSummary } from '../src/reconcile';
import {
  createNamespace,
  createTestDb,
  members,
  startReplica,
  type TestDb,
  type TestNamespace,
  type TestReplica,
} from './helpers';

/** A logger whose lines a test can read. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n'))
        if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'test', destination }) };
}

describe('malformed strategy rows', () => {
  let db: TestDb;
  let ns: TestNamespace;
  let replica: TestReplica;
  let log: ReturnType<typeof capturingLogger>;
  const summaries: ReconcileSummary[] = [];

  beforeEach(async () => {
    db = await createTestDb();
    ns = createNamespace();
    log = capturingLogger();
    summaries.length = 0;
    replica = await startReplica({
      databaseUrl: db.url,
      keys: ns.keys,
      bullmqPrefix: ns.bullmqPrefix,
      queueName: ns.queueName,
      logger: log.logger,
      // Every run compares every strategy in full, so the bad rows are re-read.
      settings: { reconcileFullCheckEvery: 1 },
      hooks: { afterReconcile: s => summaries.push(s) },
    });
  });
  afterEach(async () => {
    await replica.stop();
    await ns.cleanup();
    await db.drop();
  });

  /** Inserts a row whose universe is the SQL expression `universe` (PostgreSQL does not enforce text[] dimensions). */
  const insertRaw = async (universe: string): Promise<number> => {
    const { rows } = await db.pool.query<{ strategyid: number }>(
      `INSERT INTO strategies (alertactive, alert_universe_full)
       VALUES (true, ${universe}) RETURNING strategyid`,
    );
    return rows[0]!.strategyid;
  };
  const reconcile = async () => {
    const before = summaries.length;
    await enqueueReconcile(replica.service.queue, 'test');
    await waitFor(() => summaries.length > before, {
      timeoutMs: 20_000,
      what: 'reconcile',
    });
    return summaries[summaries.length - 1]!;
  };
  const malformedLines = () =>
    log.lines.filter(l => String(l.msg).includes('malformed'));
  const malformedTotal = (path: string) =>
    replica.registry
      .getSingleMetric('tickpulse_universe_malformed_rows_total')!
      .get()
      .then(m => m.values.find(v => v.labels.path === path)?.value ?? 0);

  it('isolates 2-D universes: the reconcile repairs every other strategy and removes their sets', async () => {
    const { redis, keys } = ns;
    const square = await insertRaw(`ARRAY[['AAPL','MSFT'],['TSLA','NVDA']]`);
    const column = await insertRaw(`ARRAY[['AAPL'],['MSFT']]`);
    const before = await db.insert(true, ['AMD', 'INTC']);
    const after = await db.insert(true, ['ıbm', 'ſpy', 'ß', 'ﬁ', 'ibm']);
    // Drift on the well-formed strategies on both sides of the bad rows,
    // and stale sets for the bad rows themselves.
    await redis.sadd(keys.stratUniv(before), 'STALE');
    await redis.sadd(keys.stratUniv(square), 'AAPL');
    await redis.sadd(keys.stratUniv(column), 'AAPL', 'MSFT');

    const s = await reconcile();
    expect(s).toMatchObject({ malformedRows: 2, removed: 2 });
    expect(await members(redis, keys, before)).toEqual(['AMD', 'INTC']);
    expect(await members(redis, keys, after)).toEqual(['IBM']);
    expect(await redis.exists(keys.stratUniv(square))).toBe(0);
    expect(await redis.exists(keys.stratUniv(column))).toBe(0);
    expect(await malformedTotal('reconcile')).toBe(2);

    // Read again in full: counted again, logged once per strategy.
    await replica.service.reconciler.run();
    expect(await malformedTotal('reconcile')).toBe(4);
    const lines = malformedLines();
    expect(lines.map(l => l.strategyId).sort()).toEqual(
      [square, column].sort(),
    );
    expect(String(lines[0]!.problem)).toMatch(/multi-dimensional/);
  });

  it('a sync job applies the same rule as the reconcile and completes instead of retrying', async () => {
    const { redis, keys } = ns;
    const column = await insertRaw(`ARRAY[['AAPL'],['MSFT']]`);
    const square = await insertRaw(`ARRAY[['AAPL','MSFT'],['TSLA','NVDA']]`);
    await redis.sadd(keys.stratUniv(column), 'AAPL', 'MSFT');
    await redis.sadd(keys.stratUniv(square), 'AAPL');
    for (const id of [column, square])
      await enqueueUniverseSync(replica.service.queue, id, 'test');
    await waitFor(async () => (await malformedTotal('sync')) === 2, {
      timeoutMs: 20_000,
      what: 'both sync jobs',
    });
    await waitFor(
      async () =>
        (await replica.service.queue.getJobCounts('waiting', 'active'))
          .active === 0,
      { timeoutMs: 20_000, what: 'jobs finished' },
    );
    expect(await replica.service.queue.getFailedCount()).toBe(0);
    expect(await redis.exists(keys.stratUniv(column))).toBe(0);
    expect(await redis.exists(keys.stratUniv(square))).toBe(0);
    expect(
      await metricTotal(replica.registry, 'tickpulse_universe_errors_total'),
    ).toBe(0);

    // The reconcile agrees: nothing to repair, and the rows were already logged.
    await redis.sadd(keys.stratUniv(column), 'AAPL');
    const s = await reconcile();
    expect(s).toMatchObject({ removed: 1, created: 0, replaced: 0 });
    expect(await redis.exists(keys.stratUniv(column))).toBe(0);
    expect(malformedLines()).toHaveLength(2);
  });
});
