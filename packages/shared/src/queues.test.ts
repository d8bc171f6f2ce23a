import type { Queue } from 'bullmq';
import { InvalidJobError } from './errors';
import {
  boundFutureTicks,
  DEFAULT_JOB_OPTIONS,
  JOB_NAMES,
  newestTick,
  parseTickBatch,
  parseUniverseSyncJob,
  publishTickBatch,
  QUEUE_NAMES,
  TICK_BATCH_JOB_OPTIONS,
  type TickBatchPayload,
} from './queues';

// Queue and job names are a contract between separately deployed producers and
// consumers (an old ingest and a new tick-writer during a rolling deploy): a
// rename strands every queued job. Pinned like the Redis keys.
describe('queue and job names', () => {
  it('are exactly these', () => {
    expect(QUEUE_NAMES).toEqual({
      ticks: 'ticks',
      universeSync: 'universe-sync',
      tickMaintenance: 'tick-maintenance',
    });
    expect(JOB_NAMES).toEqual({
      tickBatch: 'tick-batch',
      syncStrategy: 'sync-strategy',
      reconcile: 'reconcile',
      retention: 'tick-upd-retention',
    });
  });
});

describe('ticks job contract', () => {
  const columns = {
    tickers: ['AAPL', 'BRK.A'],
    times: [1752586200412, 1752586200999],
  };

  // A rolling deploy runs an old ingest (v1) next to a new tick-writer.
  const payloads: [string, TickBatchPayload][] = [
    ['v1', { v: 1, ticks: { AAPL: 1752586200412, 'BRK.A': 1752586200999 } }],
    ['v2', { v: 2, ...columns }],
  ];
  it.each(payloads)(
    'accepts a well-formed %s batch as columns',
    (_v, batch) => {
      expect(parseTickBatch(batch)).toEqual(columns);
      expect(newestTick(parseTickBatch(batch))).toBe(1752586200999);
    },
  );

  it('publishes v2: parallel arrays from a Map or a record', async () => {
    const added: unknown[] = [];
    const queue = {
      add: async (name: string, data: unknown) => {
        added.push({ name, data });
        return { id: String(added.length) };
      },
    } as unknown as Queue;
    await publishTickBatch(
      queue,
      new Map([
        ['AAPL', 1],
        ['MSFT', 2],
      ]),
    );
    await publishTickBatch(queue, { IBM: 3 });
    expect(added).toEqual([
      {
        name: 'tick-batch',
        data: { v: 2, tickers: ['AAPL', 'MSFT'], times: [1, 2] },
      },
      { name: 'tick-batch', data: { v: 2, tickers: ['IBM'], times: [3] } },
    ]);
  });

  it('leaves out entries beyond the future bound, keeping the rest in order', () => {
    const batch = {
      tickers: ['A', 'B', 'C', 'D'],
      times: [1000, 20_000, 2000, 30_000],
    };
    expect(boundFutureTicks(batch, 0, 10_000)).toEqual({
      accepted: { tickers: ['A', 'C'], times: [1000, 2000] },
      future: [
        ['B', 20_000],
        ['D', 30_000],
      ],
    });
    const ok = { tickers: ['A'], times: [1000] };
    expect(boundFutureTicks(ok, 0, 10_000).accepted).toBe(ok);
  });

  it.each([
    [null, 'not an object'],
    [[1, 2], 'not an object'],
    [{ v: 3, tickers: [], times: [] }, 'unsupported version'],
    [{ ticks: {} }, 'unsupported version'],
    [{ v: 2, ticks: {} }, 'unknown field(s) "ticks"'],
    [{ v: 1, ticks: {}, times: [] }, 'unknown field(s) "times"'],
    [{ v: 2, tickers: {}, times: [] }, 'tickers is not an array'],
    [{ v: 2, tickers: [], times: 5 }, 'times is not an array'],
    [{ v: 2, tickers: ['A'], times: [] }, 'differ in length (1 vs 0)'],
    [{ v: 2, tickers: [7], times: [1752586200412] }, 'invalid ticker 7 at 0'],
    [{ v: 2, tickers: ['aapl'], times: [1752586200412] }, 'invalid ticker'],
    [{ v: 2, tickers: ['AAPL'], times: ['1752586200412'] }, 'invalid time'],
    [{ v: 2, tickers: ['AAPL'], times: [1752586200] }, 'invalid time'],
    [{ v: 2, tickers: ['AAPL'], times: [1752586200412.5] }, 'invalid time'],
    [{ v: 1, ticks: [] }, 'ticks is not an object'],
    [{ v: 1, ticks: { aapl: 1752586200412 } }, 'invalid ticker'],
    [{ v: 1, ticks: { AAPL: '1752586200412' } }, 'invalid time'],
    [{ v: 1, ticks: { AAPL: 1752586200 } }, 'invalid time'],
    [{ v: 1, ticks: { AAPL: 1.5e18 } }, 'invalid time'],
    [{ v: 1, ticks: { AAPL: 1752586200412.5 } }, 'invalid time'],
    [{ v: 1, ticks: {}, extra: true }, 'unknown field(s) "extra"'],
    [{ v: 1, ticks: {}, a: 1, b: 2, c: 3, d: 4 }, '"a", "b", "c", … 1 more'],
  ])('rejects %j with a clear reason', (data, reason) => {
    expect(() => parseTickBatch(data)).toThrow(InvalidJobError);
    expect(() => parseTickBatch(data)).toThrow(reason);
  });

  it('quotes at most a bounded part of an invalid ticker', () => {
    const huge = 'x'.repeat(1_000_000);
    expect(() => parseTickBatch({ v: 1, ticks: { [huge]: 1 } })).toThrow(
      `invalid ticker "${'x'.repeat(64)}"…(1000000 chars)`,
    );
    expect(() => parseTickBatch({ v: 1, ticks: {}, [huge]: 1 })).toThrow(
      /unknown field\(s\) "x{40}"…\(1000000 chars\)$/,
    );
  });

  it('retries a batch write with backoff and keeps the removal policy', () => {
    expect(TICK_BATCH_JOB_OPTIONS.attempts).toBeGreaterThan(1);
    expect(TICK_BATCH_JOB_OPTIONS.backoff).toEqual({
      type: 'exponential',
      delay: 500,
    });
    expect(TICK_BATCH_JOB_OPTIONS.removeOnComplete).toBe(
      DEFAULT_JOB_OPTIONS.removeOnComplete,
    );
    // Few failed batches, each at most one entry per ticker: a poison stream stays small.
    expect(TICK_BATCH_JOB_OPTIONS.removeOnFail).toEqual({
      age: 24 * 3600,
      count: 10,
    });
  });

  it('has no newest tick for an empty batch', () => {
    expect(newestTick({ tickers: [], times: [] })).toBeNull();
  });
});

describe('universe-sync job contract', () => {
  it('accepts a strategy sync and a reconcile', () => {
    expect(
      parseUniverseSyncJob({
        kind: 'strategy',
        strategyId: 42,
        reason: 'edit',
      }),
    ).toEqual({
      kind: 'strategy',
      strategyId: 42,
      reason: 'edit',
    });
    expect(
      parseUniverseSyncJob({ kind: 'reconcile', reason: 'startup' }).kind,
    ).toBe('reconcile');
  });

  it.each([
    [{ kind: 'strategy', strategyId: '42', reason: 'x' }],
    [{ kind: 'strategy', strategyId: 0, reason: 'x' }],
    [{ kind: 'strategy', strategyId: 4.2, reason: 'x' }],
    [{ kind: 'strategy', strategyId: 42, reason: '' }],
    [{ kind: 'nuke' }],
    ['garbage'],
    [{ kind: 'strategy', strategyId: 42, reason: 'x', priority: 1 }],
    [{ kind: 'reconcile', reason: 'x', full: true }],
  ])('rejects %j', data => {
    expect(() => parseUniverseSyncJob(data)).toThrow(InvalidJobError);
  });

  it('bounds the reason of a job with a huge unknown field', () => {
    let message = '';
    try {
      parseUniverseSyncJob({
        kind: 'reconcile',
        reason: 'x',
        ['k'.repeat(1_000_000)]: 1,
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^invalid universe-sync job: .*Unrecognized key/s);
    expect(message.length).toBeLessThan(600);
  });
});
