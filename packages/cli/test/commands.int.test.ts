import type { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import {
  deletePrefix,
  testRedis,
  uniqueName,
  uniquePrefix,
} from '@tickpulse/testkit';
import {
  createKeys,
  createTickStore,
  createUniverseStore,
  QUEUE_NAMES,
} from '@tickpulse/shared';
import {
  inspectCommand,
  reconcileCommand,
  statusCommand,
  syncCommand,
  type CommandDeps,
} from '../src/commands';

describe('operator commands against real Redis', () => {
  let redis: Redis;
  let deps: CommandDeps;
  let lines: string[];
  let prefix: string;
  let bullPrefix: string;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = uniquePrefix('cli');
    bullPrefix = uniqueName('cli');
    lines = [];
    deps = {
      redis,
      keys: createKeys(prefix),
      bullPrefix,
      print: l => void lines.push(l),
    };
  });
  afterEach(async () => {
    await deletePrefix(redis, prefix);
    await deletePrefix(redis, `${bullPrefix}:`);
  });
  afterAll(() => redis.quit());

  it('enqueues a strategy sync that collapses with a duplicate', async () => {
    expect(await syncCommand(deps, '42')).toBe(0);
    expect(await syncCommand(deps, '42')).toBe(0);
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
    const q = new Queue(QUEUE_NAMES.universeSync, {
      connection: redis,
      prefix: bullPrefix,
    });
    expect(await q.count()).toBe(0);
    await q.close();
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
    expect(await statusCommand(deps)).toBe(0);
    expect(lines[0]).toMatch(/^TICK:UPD: 2 tickers, newest trade .* \(AAPL\)$/);
    expect(lines[1]).toBe('STRAT:*:UNIV: 1 strategy universes');
    expect(lines).toContain(
      'queue universe-sync: 1 waiting, 0 active, 0 delayed, 0 failed',
    );
  });
});
