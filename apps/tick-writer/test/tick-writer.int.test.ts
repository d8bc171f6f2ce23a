import {
  InvalidJobError,
  JOB_NAMES,
  MAX_TICK_BATCH_ENTRIES,
  publishTickBatch,
  TICK_BATCH_JOB_OPTIONS,
  TICK_BATCH_KEEP_FAILED,
} from '@tickpulse/contracts';
import {
  deletePrefix,
  seededRandom,
  TEST_REDIS_URL,
  testRedis,
  waitFor,
} from '@tickpulse/testkit';
import type { Redis } from 'ioredis';
import {
  mergeMax,
  readTickUpd,
  seriesValue,
  startWriter,
  tickQueue,
  type WriterHarness,
} from './helpers';

const BASE = 1_752_586_200_000;

describe('tick-writer against real Redis and BullMQ', () => {
  let admin: Redis;
  let h: WriterHarness;
  let producer: Awaited<ReturnType<typeof tickQueue>>;

  beforeAll(() => {
    admin = testRedis();
  });
  beforeEach(async () => {
    h = await startWriter({ url: TEST_REDIS_URL });
    producer = await tickQueue(TEST_REDIS_URL, h.bullPrefix);
  });
  afterEach(async () => {
    await h.close();
    await producer.queue.obliterate({ force: true }).catch(() => undefined);
    await producer.close();
    await deletePrefix(admin, h.keyPrefix);
    await deletePrefix(admin, `${h.bullPrefix}:`);
  });
  afterAll(() => admin.quit());

  const written = () =>
    seriesValue(h.registry, 'tickpulse_tick_writer_batches_total', {
      result: 'written',
    });

  it('writes every batch exactly, with chunked ZADDs', async () => {
    const rnd = seededRandom(1);
    const expected = new Map<string, number>();
    const batches = 40;
    for (let b = 0; b < batches; b++) {
      const batch = new Map<string, number>();
      const size = 1 + Math.floor(rnd() * 1500);
      for (let i = 0; i < size; i++) {
        batch.set(
          `T${Math.floor(rnd() * 3000)}`,
          BASE + Math.floor(rnd() * 1e6),
        );
      }
      mergeMax(expected, batch);
      await publishTickBatch(producer.queue, batch);
    }
    await waitFor(async () => (await written()) === batches, {
      timeoutMs: 30_000,
      what: 'all batches written',
    });
    expect(await readTickUpd(admin, h.keyPrefix)).toEqual(
      Object.fromEntries(expected),
    );
    const counts = await producer.queue.getJobCounts('completed', 'failed');
    expect(counts).toEqual({ completed: 0, failed: 0 }); // completed jobs are removed
  });

  // During a rolling deploy an ingest of the previous release still
  // publishes v1 while the new one publishes v2; both must reach TICK:UPD.
  it('writes v1 and v2 payloads alike, each through ZADD GT', async () => {
    await producer.queue.add(
      JOB_NAMES.tickBatch,
      { v: 1, ticks: { AAPL: BASE + 10, MSFT: BASE + 20 } },
      TICK_BATCH_JOB_OPTIONS,
    );
    await producer.queue.add(
      JOB_NAMES.tickBatch,
      {
        v: 2,
        base: BASE + 5,
        tickers: 'MSFT NVDA AAPL',
        offsets: [25, 35, 0],
      },
      TICK_BATCH_JOB_OPTIONS,
    );
    await waitFor(async () => (await written()) === 2, {
      what: 'both batches written',
    });
    expect(await readTickUpd(admin, h.keyPrefix)).toEqual({
      AAPL: BASE + 10, // the v2 entry is older: GT kept the v1 one
      MSFT: BASE + 30,
      NVDA: BASE + 40,
    });
    await publishTickBatch(producer.queue, new Map([['IBM', BASE]]));
    await waitFor(async () => (await written()) === 3, {
      what: 'published batch written',
    });
    expect((await readTickUpd(admin, h.keyPrefix)).IBM).toBe(BASE);
  });

  it('leaves out far-future times so they cannot freeze a ticker, and writes the rest of the batch', async () => {
    const now = Date.now();
    await publishTickBatch(producer.queue, {
      FUT: 4_102_000_000_000,
      SKEW: now + 5000,
      AAPL: now - 1000,
    });
    await waitFor(async () => (await written()) === 1, {
      timeoutMs: 20_000,
      what: 'batch written',
    });
    expect(await readTickUpd(admin, h.keyPrefix)).toEqual({
      SKEW: now + 5000,
      AAPL: now - 1000,
    });
    expect(
      await seriesValue(
        h.registry,
        'tickpulse_tick_writer_ticks_rejected_total',
        {
          reason: 'future',
        },
      ),
    ).toBe(1);
    // The ticker still takes its next real trade.
    await publishTickBatch(producer.queue, { FUT: now });
    await waitFor(async () => (await written()) === 2, {
      timeoutMs: 20_000,
      what: 'second batch written',
    });
    expect((await readTickUpd(admin, h.keyPrefix)).FUT).toBe(now);
  });

  it('never moves a score back: out of order, duplicate and replayed batches', async () => {
    // Newer values already stored (e.g. by another writer or an earlier replay).
    await h.writer.store.markUpdated([
      ['AAPL', BASE + 5000],
      ['MSFT', BASE + 100],
    ]);
    const batches: [string, number][][] = [
      [
        ['AAPL', BASE + 1000],
        ['MSFT', BASE + 200],
        ['NVDA', BASE + 300],
      ],
      [
        ['MSFT', BASE + 150],
        ['NVDA', BASE + 900],
      ], // older MSFT arrives later
      [
        ['AAPL', BASE + 1000],
        ['MSFT', BASE + 200],
        ['NVDA', BASE + 300],
      ], // replay
      [['AAPL', BASE + 4999]], // late print
      [['TSLA', BASE + 7]],
      [['TSLA', BASE + 7]], // duplicate
      [
        ['NVDA', BASE + 899],
        ['TSLA', BASE + 6],
      ],
    ];
    for (const b of batches) await publishTickBatch(producer.queue, new Map(b));
    await waitFor(async () => (await written()) === batches.length, {
      what: 'batches written',
    });
    expect(await readTickUpd(admin, h.keyPrefix)).toEqual({
      AAPL: BASE + 5000,
      MSFT: BASE + 200,
      NVDA: BASE + 900,
      TSLA: BASE + 7,
    });
    // Sent counts every member; changed only the ones that moved forward
    // (how many depends on the order the concurrent batches landed in).
    expect(
      await seriesValue(h.registry, 'tickpulse_tick_updates_total', {}),
    ).toBe(13);
    const changed = await seriesValue(
      h.registry,
      'tickpulse_tick_writer_members_changed_total',
      {},
    );
    expect(changed).toBeGreaterThanOrEqual(3); // MSFT forward, NVDA and TSLA new
    expect(changed).toBeLessThanOrEqual(7); // never the replays or late prints
  });

  // At most TICK_BATCH_KEEP_FAILED.count (10) entries: more would be trimmed from the failed set.
  it('fails garbage jobs at once, keeps them for inspection, counts them, and writes the rest', async () => {
    const garbage: unknown[] = [
      'not json object',
      { v: 2, ticks: { AAPL: BASE } },
      { v: 3, tickers: ['AAPL'], times: [BASE] },
      { v: 1, ticks: { AAPL: 'yesterday' } },
      { v: 2, base: BASE, tickers: 'AAPL MSFT', offsets: [0] },
      { v: 2, base: BASE, tickers: 'bad ticker', offsets: [0, 0] },
      { v: 1, ticks: { 'bad ticker': BASE } },
      { v: 1, ticks: [1, 2, 3] },
      // Unknown fields and a 1 MB invalid ticker.
      { v: 1, ticks: { AAPL: BASE }, priority: 'high' },
      { v: 1, ticks: { [`X ${'Y'.repeat(1_000_000)}`]: BASE } },
    ];
    const good = new Map<string, number>();
    for (let i = 0; i < garbage.length; i++) {
      const batch = new Map([[`G${i}`, BASE + i]]);
      mergeMax(good, batch);
      await publishTickBatch(producer.queue, batch);
      await producer.queue.add(
        JOB_NAMES.tickBatch,
        garbage[i],
        TICK_BATCH_JOB_OPTIONS,
      );
    }
    await waitFor(
      async () =>
        (await producer.queue.getJobCounts('failed')).failed === garbage.length,
      { what: 'garbage jobs failed' },
    );
    await waitFor(async () => (await written()) === garbage.length, {
      what: 'good batches written',
    });
    const failed = await producer.queue.getFailed(0, 20);
    expect(failed).toHaveLength(garbage.length);
    for (const job of failed) {
      // 10 attempts allowed, one used: UnrecoverableError skipped the retries.
      expect(job.opts.attempts).toBe(10);
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toMatch(/^invalid ticks job: /);
      expect(job.failedReason.length).toBeLessThan(200);
    }
    expect(failed.map(j => j.failedReason)).toEqual(
      expect.arrayContaining([
        'invalid ticks job: unknown field(s) "priority"',
        expect.stringMatching(/invalid ticker "X YYY.*…\(1000002 chars\)$/),
      ]),
    );
    for (const l of h.lines)
      expect(JSON.stringify(l).length).toBeLessThan(2000);
    expect(failed.map(j => j.data)).toEqual(expect.arrayContaining(garbage));
    expect(
      await seriesValue(h.registry, 'tickpulse_tick_writer_failures_total', {
        reason: 'invalid_job',
      }),
    ).toBe(garbage.length);
    expect(await readTickUpd(admin, h.keyPrefix)).toEqual(
      Object.fromEntries(good),
    );
    const warn = h.lines.find(l =>
      String(l.msg).startsWith('invalid ticks job rejected'),
    );
    expect(warn?.reason).toEqual(expect.stringContaining('invalid ticks job'));
    expect(new InvalidJobError('ticks', 'x').message).toBe(
      'invalid ticks job: x',
    );
  });

  it('rejects a job past MAX_TICK_BATCH_ENTRIES without writing any of it, and writes the next batch', async () => {
    // A producer that ignores the bound (an ingest without the ticker cap
    // holding back for minutes made one of 2.9 M tickers): valid-looking
    // tickers and times, one more than a job may carry.
    const n = MAX_TICK_BATCH_ENTRIES + 1;
    const tickers = Array.from(
      { length: n },
      (_, i) => `F${i.toString(36).toUpperCase()}`,
    );
    await producer.queue.add(
      JOB_NAMES.tickBatch,
      {
        v: 2,
        base: BASE,
        tickers: tickers.join(' '),
        offsets: new Array<number>(n).fill(0),
      },
      TICK_BATCH_JOB_OPTIONS,
    );
    await publishTickBatch(producer.queue, new Map([['AAPL', BASE + 5]]));
    await waitFor(async () => (await written()) === 1, {
      what: 'the batch after the oversized one written',
    });
    await waitFor(
      async () => (await producer.queue.getJobCounts('failed')).failed === 1,
      { what: 'oversized job failed' },
    );
    const [job] = await producer.queue.getFailed(0, 1);
    expect(job!.attemptsMade).toBe(1);
    expect(job!.failedReason).toBe(
      `invalid ticks job: too many entries (${n} offsets, ${tickers.join(' ').length} ticker characters; one job carries at most ${MAX_TICK_BATCH_ENTRIES})`,
    );
    expect(await readTickUpd(admin, h.keyPrefix)).toEqual({ AAPL: BASE + 5 });
  });

  it('lets TICK:UPD grow to TICK_WRITER_MAX_TICKERS only: known tickers keep updating, new ones past it are counted and left out', async () => {
    await h.close();
    h = await startWriter({
      url: TEST_REDIS_URL,
      keyPrefix: h.keyPrefix,
      bullPrefix: h.bullPrefix,
      env: { TICK_WRITER_MAX_TICKERS: '5' },
    });
    await publishTickBatch(
      producer.queue,
      new Map([
        ['AAA', BASE],
        ['BBB', BASE],
        ['CCC', BASE],
      ]),
    );
    await waitFor(async () => (await written()) === 1);
    // Two fit; FFF and GGG would pass the cap; AAA is known.
    await publishTickBatch(
      producer.queue,
      new Map([
        ['DDD', BASE + 1],
        ['AAA', BASE + 2],
        ['EEE', BASE + 1],
        ['FFF', BASE + 1],
        ['GGG', BASE + 1],
      ]),
    );
    await waitFor(async () => (await written()) === 2);
    // At the cap: a known ticker still moves forward, a new one does not get in.
    await publishTickBatch(
      producer.queue,
      new Map([
        ['HHH', BASE + 3],
        ['BBB', BASE + 3],
      ]),
    );
    await waitFor(async () => (await written()) === 3);
    expect(await readTickUpd(admin, h.keyPrefix)).toEqual({
      AAA: BASE + 2,
      BBB: BASE + 3,
      CCC: BASE,
      DDD: BASE + 1,
      EEE: BASE + 1,
    });
    expect(
      await seriesValue(
        h.registry,
        'tickpulse_tick_writer_ticks_rejected_total',
        {
          reason: 'ticker_cap',
        },
      ),
    ).toBe(3);
    const lines = h.lines.filter(l =>
      String(l.msg).startsWith('TICK:UPD holds TICK_WRITER_MAX_TICKERS'),
    );
    // Logged once a minute at most, however many batches hit the cap.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      maxTickers: 5,
      refused: 2,
      example: 'FFF',
    });
  });

  it('keeps only the newest 10 failed batches, also of jobs added without options', async () => {
    const poison = 25;
    for (let i = 0; i < poison; i++) {
      // Half as ingest adds them, half from a producer that sets no options.
      await producer.queue.add(
        JOB_NAMES.tickBatch,
        { v: 1, ticks: { [`P${i}`]: 'poison' } },
        i % 2 ? TICK_BATCH_JOB_OPTIONS : {},
      );
    }
    await waitFor(
      async () =>
        (await seriesValue(h.registry, 'tickpulse_tick_writer_failures_total', {
          reason: 'invalid_job',
        })) === poison,
      { what: 'poison jobs failed' },
    );
    const failed = await producer.queue.getFailed(0, 100);
    expect(failed).toHaveLength(TICK_BATCH_KEEP_FAILED.count);
    expect(TICK_BATCH_KEEP_FAILED.count).toBe(10);
    // The newest are kept: the last poison job is among them.
    expect(failed.map(j => Object.keys(j.data.ticks)[0])).toContain(
      `P${poison - 1}`,
    );
  });

  it('exports queue depth, batch and freshness metrics in the Prometheus text', async () => {
    const now = Date.now();
    await publishTickBatch(producer.queue, new Map([['SPY', now - 100]]));
    await waitFor(async () => (await written()) === 1, {
      what: 'batch written',
    });
    const text = await h.registry.metrics();
    expect(text).toMatch(
      /tickpulse_tick_writer_queue_jobs\{queue="ticks",state="wait"\} 0/,
    );
    expect(text).toMatch(
      /tickpulse_tick_writer_queue_jobs\{queue="tick-maintenance",state="delayed"\} 1/,
    );
    expect(text).toMatch(/tickpulse_tick_writer_freshness_seconds_count 1/);
    expect(text).toMatch(
      /tickpulse_tick_writer_redis_write_duration_seconds_count 1/,
    );
    expect(text).toMatch(/tickpulse_tick_writer_batch_size_tickers_sum 1/);
    expect(text).toMatch(
      /tickpulse_tick_writer_redis_check\{check="version"\} 1/,
    );
    expect(text).toMatch(/tickpulse_tick_updates_total 1/);
    expect(await h.writer.readiness()).toEqual({
      redis: { ok: true, detail: 'reachable' },
      worker: { ok: true, detail: 'consuming' },
    });
  });

  it('stops idempotently and reports not ready afterwards', async () => {
    const a = h.writer.stop();
    const b = h.writer.stop();
    expect(a).toBe(b);
    await a;
    expect((await h.writer.readiness()).worker?.ok).toBe(false);
  });
});
