import { batchTickers, type TickBatch } from '@tickpulse/contracts';
import { type TickStore, type TickWriteResult } from '@tickpulse/redis';
import { createLogger, metricTotal } from '@tickpulse/service-kit';
import { UnrecoverableError } from 'bullmq';
import { Registry } from 'prom-client';
import { createTickBatchProcessor } from './batch-processor';
import { createFreshnessWindow } from './freshness-window';
import { createTickWriterMetrics } from './metrics';

const logger = createLogger({ service: 'test', level: 'silent' });
const NOW = 1_752_586_200_000;

function setup(
  write: (entries: [string, number][]) => Promise<TickWriteResult>,
  cap: { maxTickers: number; stored: string[]; sizeReads?: number } = {
    maxTickers: 100_000,
    stored: [],
  },
) {
  const registry = new Registry();
  const metrics = createTickWriterMetrics(registry);
  const freshness = createFreshnessWindow();
  const calls: [string, number][][] = [];
  const store = {
    size: async () => {
      cap.sizeReads = (cap.sizeReads ?? 0) + 1;
      return cap.stored.length;
    },
    contains: async (tickers: readonly string[]) =>
      tickers.map(t => cap.stored.includes(t)),
    markUpdatedBatch: async (batch: TickBatch) => {
      const list = batchTickers(batch).map((t, i): [string, number] => [
        t,
        batch.times[i]!,
      ]);
      calls.push(list);
      return write(list);
    },
  } as unknown as TickStore;
  const process = createTickBatchProcessor({
    store,
    metrics,
    logger,
    freshness,
    chunkSize: 500,
    maxTickers: cap.maxTickers,
    now: () => NOW,
  });
  const job = (data: unknown) => ({
    id: '1',
    name: 'tick-batch',
    data,
    attemptsMade: 0,
  });
  return { registry, metrics, freshness, calls, process, job };
}

async function labelled(
  registry: Registry,
  name: string,
  label: string,
  value: string,
) {
  const m = registry.getSingleMetric(name);
  const { values } = await m!.get();
  return values.find(v => v.labels[label] === value)?.value ?? 0;
}

const batchesBy = (registry: Registry, result: string) =>
  labelled(registry, 'tickpulse_tick_writer_batches_total', 'result', result);
const failuresBy = (registry: Registry, reason: string) =>
  labelled(registry, 'tickpulse_tick_writer_failures_total', 'reason', reason);

describe('tick batch processor', () => {
  it.each([
    ['v1', { v: 1, ticks: { AAPL: NOW - 200, MSFT: NOW - 1000 } }],
    ['v2', { v: 2, base: NOW - 1000, tickers: 'AAPL MSFT', offsets: [800, 0] }],
  ])(
    'writes every ticker of a valid %s batch and records the metrics',
    async (_v, data) => {
      const t = setup(async l => ({ sent: l.length, changed: 1, calls: 1 }));
      const r = await t.process(t.job(data));
      expect(r).toEqual({ sent: 2, changed: 1, calls: 1, future: 0 });
      expect(t.calls).toEqual([
        [
          ['AAPL', NOW - 200],
          ['MSFT', NOW - 1000],
        ],
      ]);
      expect(
        await metricTotal(t.registry, 'tickpulse_tick_updates_total'),
      ).toBe(2);
      expect(
        await metricTotal(
          t.registry,
          'tickpulse_tick_writer_members_changed_total',
        ),
      ).toBe(1);
      expect(await batchesBy(t.registry, 'written')).toBe(1);
      // Freshness is measured from the newest trade in the batch.
      expect(t.freshness.take()).toEqual({
        batches: 1,
        p50S: 0.2,
        p99S: 0.2,
        maxS: 0.2,
      });
      const size = await t.metrics.batchSize.get();
      expect(size.values.find(v => v.metricName?.endsWith('_sum'))?.value).toBe(
        2,
      );
    },
  );

  it.each([
    ['not an object', 'garbage'],
    ['unsupported version', { v: 9, ticks: {} }],
    ['invalid ticker', { v: 1, ticks: { 'not a ticker': NOW } }],
    ['invalid time', { v: 1, ticks: { AAPL: 'soon' } }],
    [
      'invalid ticker',
      { v: 2, base: NOW, tickers: 'AAPL aapl', offsets: [0, 0] },
    ],
    ['invalid offset', { v: 2, base: NOW, tickers: 'AAPL', offsets: [null] }],
    ['differ in length', { v: 2, base: NOW, tickers: 'AAPL', offsets: [] }],
    [
      'unknown field(s) "ticks"',
      { v: 2, base: NOW, tickers: '', offsets: [], ticks: {} },
    ],
  ])(
    'fails a garbage job (%s) as unrecoverable without writing',
    async (reason, data) => {
      const t = setup(async () => {
        throw new Error('must not write');
      });
      const p = t.process(t.job(data));
      await expect(p).rejects.toBeInstanceOf(UnrecoverableError);
      await expect(p).rejects.toThrow(reason);
      expect(t.calls).toHaveLength(0);
      expect(await failuresBy(t.registry, 'invalid_job')).toBe(1);
      expect(await batchesBy(t.registry, 'invalid')).toBe(1);
    },
  );

  it('rethrows a Redis error as retryable and counts it', async () => {
    const t = setup(async () => {
      throw new Error('LOADING Redis is loading the dataset in memory');
    });
    const p = t.process(t.job({ v: 1, ticks: { AAPL: NOW } }));
    await expect(p).rejects.toThrow('LOADING');
    await expect(p).rejects.not.toBeInstanceOf(UnrecoverableError);
    expect(await failuresBy(t.registry, 'redis_write')).toBe(1);
    expect(await batchesBy(t.registry, 'error')).toBe(1);
    expect(await metricTotal(t.registry, 'tickpulse_tick_updates_total')).toBe(
      0,
    );
  });

  it('accepts an empty batch without a freshness sample', async () => {
    const t = setup(async () => ({ sent: 0, changed: 0, calls: 0 }));
    await t.process(t.job({ v: 1, ticks: {} }));
    expect(t.freshness.take().batches).toBe(0);
    expect(await batchesBy(t.registry, 'written')).toBe(1);
  });

  describe('ticker cap', () => {
    const sent = async (l: [string, number][]) => ({
      sent: l.length,
      changed: l.length,
      calls: 1,
    });
    const v2 = (tickers: string[]) => ({
      v: 2,
      base: NOW - 1000,
      tickers: tickers.join(' '),
      offsets: tickers.map(() => 0),
    });

    it('writes the whole batch while it fits, without asking which tickers are stored', async () => {
      const t = setup(sent, { maxTickers: 4, stored: ['AAA', 'BBB'] });
      await t.process(t.job(v2(['CCC', 'DDD'])));
      expect(t.calls[0]!.map(([ticker]) => ticker)).toEqual(['CCC', 'DDD']);
      expect(
        await labelled(
          t.registry,
          'tickpulse_tick_writer_ticks_rejected_total',
          'reason',
          'ticker_cap',
        ),
      ).toBe(0);
    });

    it('past the cap writes known tickers and new ones only while there is room', async () => {
      const t = setup(sent, { maxTickers: 3, stored: ['AAA', 'BBB'] });
      const r = await t.process(t.job(v2(['NEW1', 'AAA', 'NEW2', 'BBB'])));
      expect(t.calls[0]!.map(([ticker]) => ticker)).toEqual([
        'NEW1',
        'AAA',
        'BBB',
      ]);
      expect(r.sent).toBe(3);
      expect(
        await labelled(
          t.registry,
          'tickpulse_tick_writer_ticks_rejected_total',
          'reason',
          'ticker_cap',
        ),
      ).toBe(1);
    });

    it('far from the cap reads the size once a second, not per batch', async () => {
      const cap = { maxTickers: 100, stored: ['AAA'], sizeReads: 0 };
      const t = setup(sent, cap);
      for (let k = 0; k < 5; k++) await t.process(t.job(v2([`N${k}`])));
      expect(t.calls).toHaveLength(5);
      expect(cap.sizeReads).toBe(1); // the clock stands still in this test
    });

    it('at the cap still moves known tickers forward', async () => {
      const t = setup(sent, { maxTickers: 2, stored: ['AAA', 'BBB'] });
      await t.process(t.job(v2(['ZZZ', 'BBB'])));
      expect(t.calls[0]!.map(([ticker]) => ticker)).toEqual(['BBB']);
    });
  });
});
