/**
 * Issue 18 item 2 in ingest: a Redis data loss is counted and logged, and the
 * TICK:UPD rebuild hook runs once, on the leader (the REST backfill plugs in
 * there). A private redis-server without persistence.
 */
import { DATA_LOSS_CHECK_MS, DATA_LOSS_METRIC } from '@tickpulse/redis';
import {
  startPrivateRedis,
  testRedis,
  waitFor,
  type PrivateRedis,
} from '@tickpulse/testkit';
import { startHarness, type Harness } from './helpers';

jest.setTimeout(120_000);

describe('ingest after Redis lost its data', () => {
  let server: PrivateRedis;
  let h: Harness;
  const rebuilds: { leaders: boolean[] }[] = [];

  beforeAll(async () => {
    server = await startPrivateRedis();
    h = await startHarness({
      redisUrl: server.url,
      replicas: 2,
      rebuildTickUpd: async () => {
        rebuilds.push({
          leaders: h.replicas.map(r => r.ingest.status().leader),
        });
      },
    });
    await waitFor(() => h.sim.stats().subscribed === 1, { timeoutMs: 15_000 });
  });

  afterAll(async () => {
    await h?.close();
    await server?.stop();
  });

  const events = async () => {
    const [a, b] = await Promise.all(
      h.replicas.map(r => r.metric(DATA_LOSS_METRIC)),
    );
    return { a, b };
  };

  it('counts FLUSHALL in every replica and rebuilds TICK:UPD once, on the leader, never connecting twice', async () => {
    expect(await events()).toEqual({ a: 0, b: 0 });
    const admin = testRedis(server.url);
    await admin.flushall();
    admin.disconnect();
    await waitFor(
      async () => {
        const e = await events();
        return e.a === 1 && e.b === 1;
      },
      { timeoutMs: 30_000, what: 'both replicas notice' },
    );
    await waitFor(() => rebuilds.length >= 1, {
      timeoutMs: 30_000,
      what: 'the rebuild hook',
    });
    // One more check interval: a second (wrong) call would happen by then.
    await new Promise(r => setTimeout(r, DATA_LOSS_CHECK_MS + 1000));
    expect(rebuilds).toHaveLength(1);
    expect(rebuilds[0]!.leaders.filter(Boolean)).toHaveLength(1);
    // The lease vanished at once, yet the account was never taken twice.
    expect(h.sim.stats().evictions).toBe(0);
  });

  it('counts a SIGKILL restart without persistence', async () => {
    await server.restart();
    await waitFor(
      async () => {
        const e = await events();
        return e.a === 2 && e.b === 2;
      },
      { timeoutMs: 40_000, what: 'both replicas notice the restart' },
    );
    await waitFor(() => rebuilds.length >= 2, {
      timeoutMs: 30_000,
      what: 'the rebuild hook after the restart',
    });
  });
});

describe('ingest rebuilds TICK:UPD from REST after Redis lost its data', () => {
  let server: PrivateRedis;
  let h: Harness;

  beforeAll(async () => {
    server = await startPrivateRedis();
    h = await startHarness({ redisUrl: server.url });
    await waitFor(() => h.sim.stats().subscribed === 1, { timeoutMs: 15_000 });
  });

  afterAll(async () => {
    await h?.close();
    await server?.stop();
  });

  it('publishes every ticker’s last trade again, though none trades after the loss', async () => {
    const t0 = Date.now() - 5000;
    // REST only knows the simulator's universe.
    const tickers = [0, 1, 2, 3].map(k => h.sim.tickers[k]!.sym);
    const expected = Object.fromEntries(
      tickers.map((sym, k) => [sym, t0 + 100 * k]),
    );
    h.sim.addPrints(
      tickers.map(sym => ({
        sym,
        sipNs: String(BigInt(expected[sym]!) * 1_000_000n),
      })),
      true,
    );
    await waitFor(
      async () => {
        const q = await h.queued();
        return tickers.every(t => q[t] === expected[t]);
      },
      { what: 'the streamed prints queued' },
    );
    const admin = testRedis(server.url);
    await admin.flushall();
    admin.disconnect();
    // Only the backfill can bring them back: the feed sends nothing more for them.
    await waitFor(
      async () => {
        const q = await h.queued();
        return tickers.every(t => q[t] === expected[t]);
      },
      { timeoutMs: 30_000, what: 'TICK:UPD rebuilt through the ticks queue' },
    );
    expect(await h.replicas[0]!.metric(DATA_LOSS_METRIC)).toBe(1);
  });
});
