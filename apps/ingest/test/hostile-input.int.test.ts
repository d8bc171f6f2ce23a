import { parseTickBatch, QUEUE_NAMES } from '@tickpulse/contracts';
import { testRedis, waitFor } from '@tickpulse/testkit';
import { Queue } from 'bullmq';
import { captureLogs, startHarness, trade, type Harness } from './helpers';

const subscribed = (h: Harness) =>
  waitFor(() => h.sim.stats().subscribed === 1, {
    timeoutMs: 15_000,
    what: 'ingest subscribed',
  });

/** Ticker counts of every waiting `ticks` job. */
async function jobSizes(h: Harness): Promise<number[]> {
  const conn = testRedis();
  const queue = new Queue(QUEUE_NAMES.ticks, {
    connection: conn,
    prefix: h.config.BULLMQ_PREFIX,
  });
  try {
    const jobs = await queue.getJobs(['waiting'], 0, 10_000);
    return jobs.map(j => parseTickBatch(j.data).times.length);
  } finally {
    await queue.close();
    conn.disconnect();
  }
}

/** The hour in New York now. */
const nyHour = () =>
  Number(
    new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      hour: '2-digit',
      hourCycle: 'h23',
    }).format(Date.now()),
  );

describe('ingest under hostile or broken input', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('accepts at most MAX_TICKERS symbols: a flood of new ones is counted and dropped, known ones keep updating', async () => {
    const logs = captureLogs('info');
    h = await startHarness({
      logger: logs.logger,
      env: {
        MAX_TICKERS: '100',
        TICKS_JOB_MAX_TICKERS: '40',
        // Every job stays waiting (no tick-writer): leave room for all of them.
        TICKS_MAX_PENDING_JOBS: '50',
      },
    });
    await subscribed(h);
    const rep = h.replicas[0]!;
    const t0 = Date.now() - 60_000;
    const known = Array.from({ length: 10 }, (_, k) => `KNOWN${k}`);
    h.sim.sendFrames([known.map(s => trade(s, t0))]);
    await waitFor(async () => (await h!.queued()).KNOWN9 === t0, {
      what: 'known tickers queued',
    });

    // 5 000 valid-looking new symbols in 10 frames of 500.
    const flood = Array.from(
      { length: 5000 },
      (_, k) => `FL${k.toString(36).toUpperCase()}`,
    );
    const frames: unknown[][] = [];
    for (let f = 0; f < 10; f++)
      frames.push(flood.slice(f * 500, (f + 1) * 500).map(s => trade(s, t0)));
    h.sim.sendFrames(frames);
    // Then the known tickers trade again.
    h.sim.sendFrames([known.map(s => trade(s, t0 + 1000))]);
    await waitFor(
      async () =>
        (await rep.metric('tickpulse_ingest_trades_received_total')) === 5020,
      { what: 'every trade read' },
    );
    await waitFor(async () => rep.ingest.status().pendingTickers === 0, {
      what: 'everything published',
    });

    const queued = await h.queued();
    expect(Object.keys(queued)).toHaveLength(100);
    for (const s of known) expect(queued[s]).toBe(t0 + 1000);
    // The first 90 flood symbols filled the cap; the other 4 910 were refused.
    expect(await rep.metric('tickpulse_ingest_tickers_refused_total')).toBe(
      4910,
    );
    expect(await rep.metric('tickpulse_ingest_known_tickers')).toBe(100);
    expect(await rep.metric('tickpulse_ingest_trades_eligible_total')).toBe(
      110,
    );
    for (const n of await jobSizes(h)) expect(n).toBeLessThanOrEqual(40);
    const lines = logs.lines(
      'MAX_TICKERS reached: trades of new symbols are dropped (known tickers keep updating). ' +
        'The feed or a REST snapshot names more symbols than the market has; raise MAX_TICKERS only if it really does',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', maxTickers: 100 });
  });

  it('applies MAX_TICKERS to a REST snapshot too: healing adds no new symbol past the cap', async () => {
    h = await startHarness({
      sim: { tickers: 40 },
      env: {
        MAX_TICKERS: '3',
        BACKFILL_MARGIN_MS: '1000',
        TICKS_MAX_PENDING_JOBS: '50',
      },
    });
    const rep = h.replicas[0]!;
    await subscribed(h);
    const sym = (k: number) => h!.sim.tickers[k]!.sym;
    const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
    const t0 = Date.now() - 2000;
    // Three tickers streamed (the cap), then 20 more print only in the gap.
    h.sim.addPrints(
      [0, 1, 2].map(k => ({ sym: sym(k), sipNs: ns(t0) })),
      true,
    );
    await waitFor(async () => (await h!.queued())[sym(2)] === t0, {
      what: 'the known tickers queued',
    });
    h.sim.addPrints(
      Array.from({ length: 23 }, (_, k) => ({
        sym: sym(k),
        sipNs: ns(t0 + 100 + k),
      })),
    );
    expect(h.sim.dropConnections()).toBe(1);
    await waitFor(
      async () => (await rep.metric('tickpulse_ingest_gaps_total')) >= 1,
      { timeoutMs: 15_000, what: 'the gap healed' },
    );
    await waitFor(async () => rep.ingest.status().pendingTickers === 0, {
      what: 'everything published',
    });
    expect(await h.queued()).toEqual({
      [sym(0)]: t0 + 100,
      [sym(1)]: t0 + 101,
      [sym(2)]: t0 + 102,
    });
    // Every other ticker the snapshot named was refused (at least the 20).
    expect(
      await rep.metric('tickpulse_ingest_tickers_refused_total'),
    ).toBeGreaterThanOrEqual(20);
  });

  it('refuses a pathological frame unread, names the cause and keeps the stream and the lease', async () => {
    const logs = captureLogs('info');
    h = await startHarness({
      logger: logs.logger,
      env: { MAX_FRAME_BYTES: String(8 * 1024 * 1024) },
    });
    await subscribed(h);
    const rep = h.replicas[0]!;
    const t = Date.now();
    // Nested brackets: JSON.parse held the loop 8–11 s on 20 MB of them.
    const nested = (bytes: number) =>
      '['.repeat(bytes / 2) + ']'.repeat(bytes / 2);
    h.sim.sendFrames([nested(6_000_000)]);
    // Past MAX_FRAME_BYTES (and below ws's own 4 × limit, which would close the socket).
    h.sim.sendFrames([nested(20_000_000)]);
    h.sim.sendFrames([[trade('AFTER', t)]]);
    await waitFor(async () => (await h!.queued()).AFTER === t, {
      what: 'the next frame read',
    });
    const text = await rep.registry.metrics();
    expect(text).toMatch(
      /tickpulse_ingest_invalid_total\{reason="frame_too_deep"\} 1\n/,
    );
    expect(text).toMatch(
      /tickpulse_ingest_invalid_total\{reason="frame_too_large"\} 1\n/,
    );
    expect(Object.keys(await h.queued())).toEqual(['AFTER']);
    expect(h.sim.stats().totalConnections).toBe(1);
    expect(rep.ingest.status()).toMatchObject({
      leader: true,
      state: 'streaming',
    });
    const lines = logs.lines(
      'refused a frame past MAX_FRAME_BYTES or its nesting or value bound, unread (logged at most every 10 s)',
    );
    expect(lines[0]).toMatchObject({
      reason: 'frame_too_deep',
      bytes: 6_000_000,
      maxBytes: 8 * 1024 * 1024,
      maxDepth: 64,
    });
  });

  it('keeps streaming on an error status that only mentions authentication; stops on a real auth failure', async () => {
    h = await startHarness({});
    await subscribed(h);
    const rep = h.replicas[0]!;
    h.sim.sendStatus('error', 'Upstream re-authentication in progress');
    h.sim.sendStatus('error', 'entitlement cache refresh');
    const t = Date.now();
    h.sim.sendFrames([[trade('STILL', t)]]);
    await waitFor(async () => (await h!.queued()).STILL === t, {
      what: 'a trade after the error statuses',
    });
    expect(rep.fatal).toEqual([]);
    expect(rep.ingest.status().state).toBe('streaming');
    expect(h.sim.stats().totalConnections).toBe(1);
    expect(
      await rep.metric('tickpulse_ingest_status_messages_total'),
    ).toBeGreaterThanOrEqual(2);

    h.sim.sendStatus('error', 'not authorized');
    await waitFor(() => rep.fatal.length === 1, { what: 'fatal auth error' });
    expect(rep.fatal[0]!.name).toBe('PolygonAuthError');
  });

  it('reconnects a feed that answers pings but brings no trade in the data window, and says so in readiness', async () => {
    h = await startHarness({
      env: {
        DATA_IDLE_TIMEOUT_MS: '400',
        DATA_WINDOW: 'always',
        PING_INTERVAL_MS: '100',
        READ_TIMEOUT_MS: '5000',
      },
    });
    await subscribed(h);
    const rep = h.replicas[0]!;
    // polygon-sim answers every ping and sends nothing (rate 0).
    await waitFor(
      async () =>
        (await rep.metric('tickpulse_ingest_silent_feeds_total')) >= 1,
      { timeoutMs: 20_000, what: 'silent feed detected' },
    );
    const text = await rep.registry.metrics();
    expect(text).toMatch(
      /tickpulse_ingest_disconnects_total\{reason="silent"\} [1-9]/,
    );
    expect(text).not.toMatch(
      /tickpulse_ingest_disconnects_total\{reason="read_timeout"\} [1-9]/,
    );
    await waitFor(() => h!.sim.stats().totalConnections >= 2, {
      what: 'reconnected',
    });
    await subscribed(h);
    // Whatever the connection does meanwhile (a loaded machine may see the
    // next, doubled, timeout), readiness says why it is not ready.
    expect((await rep.ingest.readiness()).polygon).toEqual({
      ok: false,
      detail: expect.stringMatching(
        /^leader, \w+, feed silent \(no trades in the data window\)$/,
      ),
    });
    // Trades again: ready again (sent until one lands on a live connection).
    await waitFor(
      async () => {
        h!.sim.sendFrames([[trade('BACK', Date.now())]]);
        return (await rep.ingest.readiness()).polygon!.ok;
      },
      { intervalMs: 200, what: 'ready after trades' },
    );
  });

  it('lets the feed be silent outside the data window', async () => {
    h = await startHarness({
      env: {
        DATA_IDLE_TIMEOUT_MS: '200',
        // An hour that is not this one in New York (the test takes seconds).
        DATA_WINDOW: nyHour() < 12 ? '13:00-14:00' : '01:00-02:00',
        PING_INTERVAL_MS: '100',
      },
    });
    await subscribed(h);
    const rep = h.replicas[0]!;
    const t = Date.now();
    // Let several idle timeouts pass: a frame sent later is read on the
    // same connection.
    await new Promise(r => setTimeout(r, 1500));
    h.sim.sendFrames([[trade('LATE', t)]]);
    await waitFor(async () => (await h!.queued()).LATE === t);
    expect(await rep.metric('tickpulse_ingest_silent_feeds_total')).toBe(0);
    expect(h.sim.stats().totalConnections).toBe(1);
  });
});
