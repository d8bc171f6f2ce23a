import { Writable } from 'node:stream';
import { createCoalescer } from '@tickpulse/polygon';
import { batchTickers, parseTickBatch } from '@tickpulse/contracts';
import { createLogger } from '@tickpulse/service-kit';
import type { Queue } from 'bullmq';
import { Registry } from 'prom-client';
import { createIngestMetrics } from './metrics';
import { createQueueCap, type QueueCap } from './queue-cap';
import { createTickPublisher } from './tick-publisher';

const silent = createLogger({
  service: 'test',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

const T0 = 1_752_586_200_000;

/** A job payload as ticker → ms, whatever version it was published in. */
function ticksOf(data: unknown): Record<string, number> {
  const batch = parseTickBatch(data);
  return Object.fromEntries(
    batchTickers(batch).map((t, i) => [t, batch.times[i]!]),
  );
}

/** A publisher over a fresh coalescer and registry. */
function setup(opts: {
  queue: Queue;
  cap: QueueCap;
  intervalMs?: number;
  maxJobTickers?: number;
}) {
  const coalescer = createCoalescer();
  const metrics = createIngestMetrics(new Registry(), coalescer);
  const publisher = createTickPublisher({
    coalescer,
    queue: opts.queue,
    cap: opts.cap,
    intervalMs: opts.intervalMs ?? 50,
    timeoutMs: 1000,
    maxJobTickers: opts.maxJobTickers ?? 10_000,
    logger: silent,
    metrics,
  });
  return { coalescer, metrics, publisher };
}

/** A queue whose `add` fails until told otherwise, counting the attempts. */
function flakyQueue() {
  const state = { failing: true, attempts: 0, added: [] as unknown[] };
  const queue = {
    add: async (_name: string, data: unknown) => {
      state.attempts++;
      if (state.failing) throw new Error("Stream isn't writeable");
      state.added.push(data);
      return { id: String(state.added.length) };
    },
  } as unknown as Queue;
  return { queue, state };
}

/** A cap that never finds the queue full. */
const roomy = () =>
  createQueueCap({ max: 1_000_000, recheckMs: 0, count: async () => 0 });

/**
 * A queue whose added jobs stay pending until taken off `pending`
 * (tick-writer away), and a cap reading their count, as ingest wires them.
 */
function backlogQueue(max: number) {
  const pending: unknown[] = [];
  const state = { added: 0, reads: 0 };
  const queue = {
    add: async (_name: string, data: unknown) => {
      pending.push(data);
      state.added++;
      return { id: String(state.added) };
    },
  } as unknown as Queue;
  const cap = createQueueCap({
    max,
    recheckMs: 0,
    count: async () => {
      state.reads++;
      return pending.length;
    },
  });
  return { queue, cap, pending, state };
}

describe('tick publisher', () => {
  it('backs off after a failed publish instead of retrying on every flush', async () => {
    const { queue, state } = flakyQueue();
    // A long interval makes the first back-off (≥ 5 s) outlast the loop below.
    const { coalescer, publisher } = setup({
      queue,
      cap: roomy(),
      intervalMs: 10_000,
    });
    coalescer.add('AAPL', 1_752_586_200_412);
    expect(await publisher.flush()).toBe(false);
    for (let i = 0; i < 100; i++) {
      coalescer.add('MSFT', 1_752_586_200_500 + i);
      expect(await publisher.flush()).toBe(false);
    }
    expect(state.attempts).toBe(1);
    expect(coalescer.size).toBe(2);

    state.failing = false;
    expect(await publisher.drain(5000)).toBe(true);
    expect(state.added).toEqual([
      {
        v: 2,
        base: 1_752_586_200_412,
        tickers: 'AAPL MSFT',
        offsets: [0, 187],
      },
    ]);
  });

  it('publishes at once while there is room, reading the queue length only when its bound is full', async () => {
    const { queue, cap, pending, state } = backlogQueue(4);
    const { coalescer, publisher } = setup({ queue, cap });
    for (let k = 0; k < 12; k++) {
      coalescer.add('AAPL', T0 + k);
      expect(await publisher.flush()).toBe(true);
      pending.shift(); // tick-writer keeps up
    }
    expect(state.added).toBe(12);
    // One read to start, then one after every 4th publish.
    expect(state.reads).toBe(4);
    expect(publisher.heldBack).toBe(false);
  });

  it('at the cap holds back and merges, then publishes one merged batch as soon as there is room', async () => {
    const { queue, cap, pending } = backlogQueue(3);
    const { coalescer, metrics, publisher } = setup({ queue, cap });
    const tickers = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMD'];
    const expected: Record<string, number> = {};
    const trade = (k: number) => {
      const ticker = tickers[(k * 7) % tickers.length]!;
      const ms = T0 + ((k * 7919) % 100_000);
      coalescer.add(ticker, ms);
      expected[ticker] = Math.max(expected[ticker] ?? 0, ms);
    };
    // tick-writer is away: 200 flush rounds of trades, never more than 3 jobs.
    for (let k = 0; k < 200; k++) {
      trade(k);
      await publisher.flush();
      expect(pending.length).toBeLessThanOrEqual(3);
    }
    expect(pending).toHaveLength(3);
    expect(publisher.heldBack).toBe(true);
    expect(coalescer.size).toBeLessThanOrEqual(tickers.length);
    expect((await metrics.heldBackFlushes.get()).values[0]!.value).toBe(197);
    expect((await metrics.heldBack.get()).values[0]!.value).toBe(1);

    // tick-writer returns: the next flush publishes everything merged as one job.
    const delivered = pending.splice(0);
    expect(await publisher.flush()).toBe(true);
    expect(pending).toHaveLength(1);
    expect(coalescer.size).toBe(0);
    expect(publisher.heldBack).toBe(false);
    expect((await metrics.heldBack.get()).values[0]!.value).toBe(0);
    const merged: Record<string, number> = {};
    for (const job of [...delivered, ...pending])
      for (const [t, ms] of Object.entries(ticksOf(job)))
        merged[t] = Math.max(merged[t] ?? 0, ms);
    expect(merged).toEqual(expected);
  });

  it('a shutdown drain publishes its final batch even at the cap', async () => {
    const { queue, cap, pending } = backlogQueue(1);
    const { coalescer, publisher } = setup({ queue, cap });
    coalescer.add('AAPL', T0);
    expect(await publisher.flush()).toBe(true);
    coalescer.add('AAPL', T0 + 1);
    expect(await publisher.flush()).toBe(false);
    expect(await publisher.drain(1000)).toBe(true);
    expect(pending.map(ticksOf)).toEqual([{ AAPL: T0 }, { AAPL: T0 + 1 }]);
  });

  it('splits a pending map larger than maxJobTickers into bounded jobs, losing nothing', async () => {
    const { queue, cap, pending } = backlogQueue(100);
    const { coalescer, metrics, publisher } = setup({
      queue,
      cap,
      maxJobTickers: 4,
    });
    const expected: Record<string, number> = {};
    for (let k = 0; k < 10; k++) {
      coalescer.add(`T${k}`, T0 + k);
      expected[`T${k}`] = T0 + k;
    }
    expect(await publisher.flush()).toBe(true);
    expect(coalescer.size).toBe(6);
    coalescer.add('T0', T0 + 99); // traded again while the rest waits
    expected.T0 = T0 + 99;
    expect(await publisher.drain(1000)).toBe(true);
    const jobs = pending.map(ticksOf);
    expect(jobs.map(j => Object.keys(j).length)).toEqual([4, 4, 3]);
    const merged: Record<string, number> = {};
    for (const job of jobs)
      for (const [t, ms] of Object.entries(job))
        merged[t] = Math.max(merged[t] ?? 0, ms);
    expect(merged).toEqual(expected);
    expect((await metrics.oversizedFlushes.get()).values[0]!.value).toBe(2);
  });
});
