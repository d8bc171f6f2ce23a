import type { Queue } from 'bullmq';
import { seededRandom } from '@tickpulse/testkit';
import { InvalidJobError, InvalidTickerError } from './errors';
import {
  batchTickers,
  boundFutureTicks,
  DEFAULT_JOB_OPTIONS,
  JOB_NAMES,
  MAX_TICK_BATCH_ENTRIES,
  newestTick,
  parseTickBatch,
  parseUniverseSyncJob,
  publishTickBatch,
  QUEUE_NAMES,
  TICK_BATCH_JOB_OPTIONS,
  tickBatchOf,
  type TickBatchPayload,
} from './queues';
import { isNormalizedTicker } from './tickers';

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
  const tickers = ['AAPL', 'BRK.A'];
  const times = [1752586200412, 1752586200999];
  const batch = tickBatchOf(tickers, times);

  // A rolling deploy runs an old ingest (v1) next to a new tick-writer.
  const payloads: [string, TickBatchPayload][] = [
    ['v1', { v: 1, ticks: { AAPL: 1752586200412, 'BRK.A': 1752586200999 } }],
    [
      'v2',
      { v: 2, base: 1752586200412, tickers: 'AAPL BRK.A', offsets: [0, 587] },
    ],
  ];
  it.each(payloads)('accepts a well-formed %s batch', (_v, payload) => {
    const parsed = parseTickBatch(payload);
    expect(parsed).toEqual(batch);
    expect(batchTickers(parsed)).toEqual(tickers);
    expect(parsed.times).toEqual(times);
    expect(newestTick(parsed)).toBe(1752586200999);
  });

  it('accepts an empty v2 batch', () => {
    const empty = parseTickBatch({ v: 2, base: 0, tickers: '', offsets: [] });
    expect(batchTickers(empty)).toEqual([]);
    expect(newestTick(empty)).toBeNull();
  });

  it('publishes v2: packed tickers and offsets from the oldest time, from a Map or a record', async () => {
    const added: { name: string; data: unknown }[] = [];
    const queue = {
      add: async (name: string, data: unknown) => {
        added.push({ name, data });
        return { id: String(added.length) };
      },
    } as unknown as Queue;
    const t = 1752586200000;
    await publishTickBatch(
      queue,
      new Map([
        ['AAPL', t + 40],
        ['MSFT', t + 5],
        ['BRK.A', t + 90_000],
      ]),
    );
    await publishTickBatch(queue, { IBM: t });
    expect(added).toEqual([
      {
        name: 'tick-batch',
        data: {
          v: 2,
          base: t + 5,
          tickers: 'AAPL MSFT BRK.A',
          offsets: [35, 0, 89_995],
        },
      },
      {
        name: 'tick-batch',
        data: { v: 2, base: t, tickers: 'IBM', offsets: [0] },
      },
    ]);
    // What tick-writer reads back is what was published.
    const back = parseTickBatch(added[0]!.data);
    expect(batchTickers(back)).toEqual(['AAPL', 'MSFT', 'BRK.A']);
    expect(back.times).toEqual([t + 40, t + 5, t + 90_000]);
  });

  it('reads packed tickers by exactly the rule of isNormalizedTicker', () => {
    const rand = seededRandom(7);
    const alphabet = 'AZ09az./-_ éß\t';
    for (let n = 0; n < 3000; n++) {
      let ticker = '';
      const len = Math.floor(rand() * 19);
      for (let k = 0; k < len; k++)
        ticker += alphabet[Math.floor(rand() * alphabet.length)];
      if (ticker.includes(' ') || ticker === '') continue;
      const payload = {
        v: 2,
        base: 1752586200000,
        tickers: `AAPL ${ticker} MSFT`,
        offsets: [0, 1, 2],
      };
      let accepted = true;
      try {
        parseTickBatch(payload);
      } catch {
        accepted = false;
      }
      expect([ticker, accepted]).toEqual([ticker, isNormalizedTicker(ticker)]);
    }
  });

  it('leaves out entries beyond the future bound, keeping the rest in order', () => {
    const four = tickBatchOf(
      ['A', 'B', 'C', 'D'],
      [1000, 20_000, 2000, 30_000],
    );
    const { accepted, future } = boundFutureTicks(four, 0, 10_000);
    expect(batchTickers(accepted)).toEqual(['A', 'C']);
    expect(accepted.times).toEqual([1000, 2000]);
    expect(future).toEqual([
      ['B', 20_000],
      ['D', 30_000],
    ]);
    const ok = tickBatchOf(['A'], [1000]);
    expect(boundFutureTicks(ok, 0, 10_000).accepted).toBe(ok);
  });

  it('packs columns only when every entry is valid', () => {
    expect(() => tickBatchOf(['AAPL', 'a b'], [1, 2])).toThrow(
      InvalidTickerError,
    );
    expect(() => tickBatchOf(['AAPL'], [0])).toThrow(InvalidTickerError);
    expect(() => tickBatchOf(['AAPL', 'MSFT'], [1])).toThrow(
      InvalidTickerError,
    );
  });

  it.each([
    [null, 'not an object'],
    [[1, 2], 'not an object'],
    [{ v: 3, tickers: [], times: [] }, 'unsupported version'],
    [{ ticks: {} }, 'unsupported version'],
    [{ v: 2, ticks: {} }, 'unknown field(s) "ticks"'],
    [{ v: 1, ticks: {}, times: [] }, 'unknown field(s) "times"'],
    [
      { v: 2, base: 1752586200412, tickers: ['A'], offsets: [0], times: [] },
      'unknown field(s) "times"',
    ],
    [{ v: 2, base: 1.5, tickers: 'A', offsets: [0] }, 'invalid base'],
    [
      { v: 2, base: '1752586200412', tickers: 'A', offsets: [0] },
      'invalid base',
    ],
    [{ v: 2, tickers: 'A', offsets: [0] }, 'invalid base'],
    [
      { v: 2, base: 1752586200412, tickers: ['A'], offsets: [0] },
      'not a string',
    ],
    [{ v: 2, base: 1752586200412, tickers: 'A', offsets: 5 }, 'not an array'],
    [
      { v: 2, base: 1752586200412, tickers: 'A', offsets: [] },
      'differ in length (1 vs 0)',
    ],
    [
      { v: 2, base: 1752586200412, tickers: '', offsets: [0] },
      'differ in length (0 vs 1)',
    ],
    [
      { v: 2, base: 1752586200412, tickers: 'A B', offsets: [0] },
      'differ in length (2 vs 1)',
    ],
    [
      { v: 2, base: 1752586200412, tickers: 'A  B', offsets: [0, 0] },
      'empty ticker at 1',
    ],
    [
      { v: 2, base: 1752586200412, tickers: 'A ', offsets: [0] },
      'empty ticker at 1',
    ],
    [
      { v: 2, base: 1752586200412, tickers: ' A', offsets: [0] },
      'empty ticker at 0',
    ],
    [
      { v: 2, base: 1752586200412, tickers: 'A aapl', offsets: [0, 0] },
      'invalid ticker "a" at 1',
    ],
    [
      { v: 2, base: 1752586200412, tickers: '.A', offsets: [0] },
      'invalid ticker "." at 0',
    ],
    [
      { v: 2, base: 1752586200412, tickers: 'A'.repeat(17), offsets: [0] },
      'invalid ticker',
    ],
    [
      { v: 2, base: 1752586200412, tickers: 'AÉ', offsets: [0] },
      'invalid ticker',
    ],
    [
      { v: 2, base: 1752586200412, tickers: 'A', offsets: [-1] },
      'invalid offset -1 at 0',
    ],
    [
      { v: 2, base: 1752586200412, tickers: 'A', offsets: [0.5] },
      'invalid offset',
    ],
    [
      { v: 2, base: 1752586200412, tickers: 'A', offsets: ['0'] },
      'invalid offset',
    ],
    [{ v: 2, base: 1752586200, tickers: 'A', offsets: [0] }, 'invalid offset'],
    [
      { v: 2, base: 1752586200412, tickers: 'A', offsets: [4e12] },
      'invalid offset',
    ],
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

  it('rejects a job with more entries than MAX_TICK_BATCH_ENTRIES before reading them', () => {
    const n = MAX_TICK_BATCH_ENTRIES + 1;
    // Entries that would each fail validation: the bound is checked first.
    const v2 = { v: 2, base: 1, tickers: '', offsets: new Array(n).fill(-1) };
    expect(() => parseTickBatch(v2)).toThrow(/too many entries/);
    const ticks: Record<string, number> = {};
    for (let i = 0; i < n; i++) ticks[`T${i}`] = 1_752_586_200_412;
    expect(() => parseTickBatch({ v: 1, ticks })).toThrow(/too many entries/);
    const long = { v: 2, base: 1, tickers: 'A'.repeat(2e6), offsets: [0] };
    expect(() => parseTickBatch(long)).toThrow(/too many entries/);
    // The bound itself is accepted.
    const fits = Array.from(
      { length: MAX_TICK_BATCH_ENTRIES },
      (_, i) => `T${i}`,
    );
    const ok = parseTickBatch({
      v: 2,
      base: 1_752_586_200_412,
      tickers: fits.join(' '),
      offsets: new Array(fits.length).fill(0),
    });
    expect(ok.times).toHaveLength(MAX_TICK_BATCH_ENTRIES);
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
    expect(newestTick(tickBatchOf([], []))).toBeNull();
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
