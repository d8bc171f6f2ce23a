/**
 * Issue 12 acceptance: tickpulse's Redis footprint does not depend on the
 * trade rate or on how long tick-writer is away.
 *
 * polygon-sim (in process, rate mode) → `node apps/ingest/dist/main.js` with
 * tick-writer stopped for 35 s, on a private redis-server so that INFO
 * `used_memory` is tickpulse's alone. Sampled throughout: the `ticks` jobs
 * waiting + active (+ delayed + prioritized) never exceed
 * TICKS_MAX_PENDING_JOBS (default 4), and used_memory grows by at most
 * FOOTPRINT_BOUND_BYTES. Then tick-writer starts and TICK:UPD must equal the
 * oracle exactly.
 *
 * The oracle is a second subscriber on the simulator (another account, so
 * the simulator sends it the very same generated frames): it keeps the
 * newest eligible time per ticker with the `backend` exclusion set written
 * out in src/oracle.ts, independently of ingest's policy code. That both saw
 * the same stream is checked by counts: ingest's received trades equal the
 * tap's, and nothing was dropped by the simulator as a slow consumer.
 */
import { createPolygonSim, type PolygonSim } from '@tickpulse/polygon-sim';
import { createKeys, QUEUE_NAMES } from '@tickpulse/contracts';
import {
  startPrivateRedis,
  testRedis,
  uniqueName,
  uniquePrefix,
  waitFor,
  type PrivateRedis,
} from '@tickpulse/testkit';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import WebSocket from 'ws';
import {
  pendingTickJobs,
  FOOTPRINT_BOUND_BYTES,
  sampleBacklog,
  TICKS_CAP as CAP,
} from '../src/footprint-check';
import { createSystem, type System } from '../src/harness';
import { TickOracle, type ScriptedTrade } from '../src/oracle';

jest.setTimeout(300_000);

const RATE = 20_000;
const TICKERS = 10_000;
const HELD_MS = 35_000;

/** Subscribes to the simulator as a second account and folds every trade into an oracle. */
async function startTap(url: string) {
  const oracle = new TickOracle();
  const state = { trades: 0 };
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data: WebSocket.RawData) => {
      const events = JSON.parse(data.toString()) as Record<string, unknown>[];
      const trades: ScriptedTrade[] = [];
      for (const e of events) {
        if (e.ev === 'T') trades.push(e as unknown as ScriptedTrade);
        else if (e.ev === 'status' && e.status === 'connected')
          ws.send(JSON.stringify({ action: 'auth', params: 'oracle-tap' }));
        else if (e.ev === 'status' && e.status === 'auth_success')
          ws.send(JSON.stringify({ action: 'subscribe', params: 'T.*' }));
        else if (e.ev === 'status' && e.status === 'success') resolve();
      }
      state.trades += trades.length;
      oracle.add(trades);
    });
  });
  return { oracle, state, close: () => ws.close() };
}

describe('footprint: tick-writer away at a high trade rate', () => {
  let redisSrv: PrivateRedis;
  let sim: PolygonSim;
  let system: System;
  let redis: Redis;
  let queue: Queue;
  let tap: Awaited<ReturnType<typeof startTap>> | undefined;
  const keyPrefix = uniquePrefix('fp');
  const bullPrefix = uniqueName('fpq');

  beforeAll(async () => {
    redisSrv = await startPrivateRedis();
    redis = testRedis(redisSrv.url);
    queue = new Queue(QUEUE_NAMES.ticks, {
      connection: { url: redisSrv.url, maxRetriesPerRequest: null },
      prefix: bullPrefix,
    });
    sim = createPolygonSim({ rate: 0, tickers: TICKERS });
    await sim.listen(0);
    system = createSystem({
      REDIS_URL: redisSrv.url,
      REDIS_KEY_PREFIX: keyPrefix,
      BULLMQ_PREFIX: bullPrefix,
    });
  });

  afterAll(async () => {
    tap?.close();
    await system?.killAll();
    await queue?.close().catch(() => undefined);
    redis?.disconnect();
    await sim?.close();
    await redisSrv?.stop();
  });

  it(`holds at most ${CAP} ticks jobs and a bounded used_memory, then TICK:UPD equals the oracle`, async () => {
    const ingest = await system.add('ingest', 'ingest', {
      POLYGON_WS_URL: sim.url(),
      LEASE_POLL_MS: '250',
    });
    const writer = await system.add('tick-writer', 'tick-writer', {
      TICK_WRITER_LOCK_DURATION_MS: '1000',
      TICK_WRITER_STALLED_INTERVAL_MS: '500',
    });
    tap = await startTap(sim.url());
    await ingest.start();
    await waitFor(() => sim.stats().subscribed === 2, {
      timeoutMs: 30_000,
      what: 'ingest and the oracle tap subscribed',
    });

    sim.setRate(RATE);
    const { maxPending, maxGrowth, samples } = await sampleBacklog(
      redis,
      queue,
      HELD_MS,
    );
    sim.setRate(0);

    // Every generated trade reached both subscribers.
    await waitFor(
      async () =>
        (await ingest.metric('tickpulse_ingest_trades_received_total')) ===
        tap!.state.trades,
      { timeoutMs: 60_000, what: 'ingest to receive what the tap received' },
    );
    const st = sim.stats();
    expect(st.slowConsumerKills).toBe(0);
    expect(st.totalConnections).toBe(2);
    expect(tap.state.trades).toBeGreaterThan((RATE * HELD_MS) / 1000 / 3);
    expect(await ingest.metric('tickpulse_ingest_invalid_total')).toBe(0);

    expect(samples).toBeGreaterThan(20);
    expect(maxPending).toBeLessThanOrEqual(CAP);
    expect(await pendingTickJobs(queue)).toBe(CAP);
    expect(maxGrowth).toBeLessThanOrEqual(FOOTPRINT_BOUND_BYTES);
    expect(await ingest.metric('tickpulse_ingest_held_back')).toBe(1);
    expect(
      await ingest.metric('tickpulse_ingest_flushes_held_back_total'),
    ).toBeGreaterThan(0);
    expect(ingest.logsMatching('holding back').length).toBeGreaterThan(0);

    // tick-writer returns: the backlog and the merged batch are written.
    await writer.start();
    const tickUpd = createKeys(keyPrefix).tickUpd();
    const got = async () => {
      const flat = await redis.zrange(tickUpd, '0', '-1', 'WITHSCORES');
      const m: Record<string, number> = {};
      for (let i = 0; i < flat.length; i += 2)
        m[flat[i]!] = Number(flat[i + 1]);
      return m;
    };
    const expected = Object.fromEntries(tap.oracle.expected);
    await waitFor(
      async () =>
        (await pendingTickJobs(queue)) === 0 &&
        (await ingest.metric('tickpulse_ingest_held_back')) === 0 &&
        (await ingest.metric('tickpulse_ingest_pending_tickers')) === 0 &&
        Object.keys(await got()).length === tap!.oracle.expected.size,
      { timeoutMs: 120_000, intervalMs: 250, what: 'the backlog written' },
    ).catch(() => undefined);
    expect(await got()).toEqual(expected);
    expect(tap.oracle.expected.size).toBeGreaterThan(TICKERS / 2);
  });
});
