import type { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import {
  createTestSchema,
  deletePrefix,
  freePort,
  testRedis,
  uniqueName,
  uniquePrefix,
  type TestSchema,
} from '@tickpulse/testkit';
import {
  createKeys,
  createStrategyReader,
  QUEUE_NAMES,
} from '@tickpulse/contracts';
import { createTickStore, createUniverseStore } from '@tickpulse/redis';
import {
  inspectCommand,
  reconcileCommand,
  statusCommand,
  syncCommand,
  type SyncDeps,
} from '../src/commands';
import { fetchStrategyRow } from '../src/strategy-lookup';

describe('operator commands against real Redis', () => {
  let redis: Redis;
  let schema: TestSchema;
  let deps: SyncDeps;
  let lines: string[];
  let prefix: string;
  let bullPrefix: string;

  const queued = async () => {
    const q = new Queue(QUEUE_NAMES.universeSync, {
      connection: redis,
      prefix: bullPrefix,
    });
    try {
      return await q.count();
    } finally {
      await q.close();
    }
  };

  beforeAll(async () => {
    redis = testRedis();
    schema = await createTestSchema({ label: 'tp_cli' });
    await schema.pool.query(
      `CREATE TABLE strategies (strategyid int PRIMARY KEY,
         alertactive boolean NOT NULL, alert_universe_full text[]);
       INSERT INTO strategies VALUES (5, true, ARRAY['AAPL']),
         (42, true, ARRAY['AAPL', 'msft']), (43, false, ARRAY['AAPL']),
         (44, true, NULL)`,
    );
  });
  beforeEach(() => {
    prefix = uniquePrefix('cli');
    bullPrefix = uniqueName('cli');
    lines = [];
    const strategies = createStrategyReader(schema.pool);
    deps = {
      redis,
      keys: createKeys(prefix),
      bullPrefix,
      print: l => void lines.push(l),
      fetchStrategy: id => strategies.fetch(id),
    };
  });
  afterEach(async () => {
    await deletePrefix(redis, prefix);
    await deletePrefix(redis, `${bullPrefix}:`);
  });
  afterAll(async () => {
    await schema.drop();
    await redis.quit();
  });

  it('says what a sync will do with the set, by the row', async () => {
    expect(await syncCommand(deps, '43')).toBe(0);
    expect(await syncCommand(deps, '44')).toBe(0);
    expect(lines).toEqual([
      `queued sync of strategy 43 (job 1): ${prefix}STRAT:43:UNIV will be removed (inactive)`,
      `queued sync of strategy 44 (job 2): ${prefix}STRAT:44:UNIV will be removed (global)`,
    ]);
  });

  it('refuses to sync a strategy that exists neither in the table nor in Redis', async () => {
    expect(await syncCommand(deps, '4242')).toBe(1);
    expect(lines).toEqual([
      `strategy 4242 does not exist (not in the strategies table, no ${prefix}STRAT:4242:UNIV): nothing queued; check the id or DATABASE_URL`,
    ]);
    expect(await queued()).toBe(0);
  });

  it('queues the removal of a deleted strategy whose set is still in Redis', async () => {
    await createUniverseStore(redis, deps.keys).replace(4242, ['AAPL']);
    expect(await syncCommand(deps, '4242')).toBe(0);
    expect(lines).toEqual([
      `queued sync of strategy 4242 (job 1): strategy 4242 is not in the strategies table: ${prefix}STRAT:4242:UNIV will be removed`,
    ]);
  });

  it('queues the sync anyway, naming the redacted database, when PostgreSQL is unreachable', async () => {
    const closedPort = await freePort();
    const url = `postgres://tp:hunter2secret@127.0.0.1:${closedPort}/postgres`;
    expect(
      await syncCommand(
        { ...deps, fetchStrategy: id => fetchStrategyRow(url, id) },
        '42',
      ),
    ).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^queued sync of strategy 42 \\(job 1\\): could not read strategy 42 from the strategies table at postgres://tp:redacted@127\\.0\\.0\\.1:${closedPort}/postgres: .*ECONNREFUSED.*set DATABASE_URL`,
      ),
    );
    expect(lines[0]).not.toContain('hunter2secret');
  });

  it('enqueues a strategy sync that collapses with a duplicate', async () => {
    expect(await syncCommand(deps, '42')).toBe(0);
    expect(await syncCommand(deps, '42')).toBe(0);
    expect(lines[0]).toBe(
      `queued sync of strategy 42 (job 1): ${prefix}STRAT:42:UNIV will hold 2 tickers`,
    );
    const q = new Queue(QUEUE_NAMES.universeSync, {
      connection: redis,
      prefix: bullPrefix,
    });
    const jobs = await q.getJobs(['wait'], 0, 10);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.data).toEqual({
      kind: 'strategy',
      strategyId: 42,
      reason: 'cli',
    });
    await q.close();
  });

  it.each([
    undefined,
    '',
    'abc',
    '-1',
    '0',
    '1.5',
    '01',
    '1e3',
    '0x10',
    '+2',
    '1.0',
    ' 2',
    'Infinity',
    '2147483648',
  ])('refuses the strategy id %j and queues nothing', async id => {
    expect(await syncCommand(deps, id)).toBe(2);
    expect(lines[0]).toMatch(/usage: tickpulse sync <strategyId> {2}\(must be/);
    expect(await queued()).toBe(0);
  });

  it('enqueues a reconcile', async () => {
    expect(await reconcileCommand(deps)).toBe(0);
    const q = new Queue(QUEUE_NAMES.universeSync, {
      connection: redis,
      prefix: bullPrefix,
    });
    expect((await q.getJobs(['wait'], 0, 10))[0]!.data.kind).toBe('reconcile');
    await q.close();
  });

  it('inspects a ticker: last trade and the universes holding it', async () => {
    await createTickStore(redis, deps.keys).markUpdated([
      ['AAPL', Date.now() - 1500],
    ]);
    const universes = createUniverseStore(redis, deps.keys);
    await universes.replace(3, ['AAPL', 'MSFT']);
    await universes.replace(8, ['AAPL']);
    await universes.replace(9, ['MSFT']);
    expect(await inspectCommand(deps, 'aapl')).toBe(0);
    expect(lines[0]).toMatch(/^AAPL: last eligible trade .* s ago/);
    expect(lines[1]).toBe('AAPL: in the universe of strategies 3, 8');
  });

  it('refuses to inspect a symbol that only Unicode case mapping makes a ticker', async () => {
    await createTickStore(redis, deps.keys).markUpdated([['IBM', Date.now()]]);
    expect(await inspectCommand(deps, 'ıbm')).toBe(2);
    expect(lines).toEqual([
      'usage: tickpulse inspect <ticker>  ("ıbm": not a ticker symbol)',
    ]);
  });

  it('reports what Redis holds and the queue depths', async () => {
    await createTickStore(redis, deps.keys).markUpdated([
      ['AAPL', Date.now() - 1000],
      ['MSFT', Date.now() - 5000],
    ]);
    await createUniverseStore(redis, deps.keys).replace(1, ['AAPL']);
    await syncCommand(deps, '5');
    lines = [];
    expect(await statusCommand(deps, 'redis://:redacted@10.0.0.1:6379')).toBe(
      0,
    );
    expect(lines[0]).toBe(
      `Redis redis://:redacted@10.0.0.1:6379, key prefix ${JSON.stringify(prefix)}, BullMQ prefix ${JSON.stringify(bullPrefix)}`,
    );
    expect(lines[1]).toMatch(/^TICK:UPD: 2 tickers, newest trade .* \(AAPL\)$/);
    expect(lines[2]).toBe('STRAT:*:UNIV: 1 strategy universes');
    expect(lines).toContain(
      'queue universe-sync: 1 waiting, 0 active, 0 delayed, 0 failed',
    );
  });
});
