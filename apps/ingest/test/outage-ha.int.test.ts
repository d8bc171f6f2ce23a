import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createPolygonSim, type PolygonSim } from '@tickpulse/polygon-sim';
import {
  deletePrefix,
  freePort,
  startPrivateRedis,
  TEST_REDIS_URL,
  testRedis,
  uniqueName,
  uniquePrefix,
  waitFor,
  type PrivateRedis,
} from '@tickpulse/testkit';
import { createKeys } from '@tickpulse/contracts';
import { loadConfig } from '../src/config';
import { startHarness, trade, type Harness } from './helpers';

describe('publish outage', () => {
  let h: Harness | undefined;
  let redis: PrivateRedis | undefined;
  afterEach(async () => {
    await h?.close();
    await redis?.stop();
    h = undefined;
  });

  it('loses no ticker’s newest timestamp while Redis is down', async () => {
    redis = await startPrivateRedis();
    // A long lease keeps the connection through the outage, so trades keep arriving.
    h = await startHarness({
      redisUrl: redis.url,
      env: { LEASE_TTL_MS: '60000', PUBLISH_TIMEOUT_MS: '1000' },
    });
    await waitFor(() => h!.sim.stats().subscribed === 1, { timeoutMs: 15_000 });
    const rep = h.replicas[0]!;
    const now = Date.now();
    const tickers = Array.from({ length: 30 }, (_, k) => `OUT${k}`);
    const expected: Record<string, number> = {};
    const send = (base: number, n: number) => {
      const events = [];
      for (let k = 0; k < n; k++) {
        const sym = tickers[(k * 7 + base) % tickers.length]!;
        const t = now - 50_000 + base * 100 + ((k * 37) % 1000);
        events.push(trade(sym, t));
        expected[sym] = Math.max(expected[sym] ?? 0, t);
      }
      h!.sim.sendFrames([events]);
    };

    send(1, 100);
    await waitFor(
      async () => Object.keys(await h!.queued()).length === tickers.length,
    );
    const before = await h.queued();

    await redis.kill();
    for (let b = 2; b < 12; b++) send(b, 60);
    await waitFor(
      async () =>
        (await rep.metric('tickpulse_ingest_trades_received_total')) === 700,
    );
    await waitFor(
      async () =>
        (await rep.metric('tickpulse_ingest_publish_failures_total')) >= 3,
      {
        what: 'failed publishes',
      },
    );
    // Memory stays bounded by the number of tickers, however many batches failed.
    expect(rep.ingest.status().pendingTickers).toBeLessThanOrEqual(
      tickers.length,
    );

    await redis.start(); // empty: jobs published before the kill are gone with it
    await waitFor(() => rep.ingest.status().pendingTickers === 0, {
      timeoutMs: 30_000,
      what: 'flush after restart',
    });
    const after = await h.queued();
    const merged: Record<string, number> = { ...before };
    for (const [t, ms] of Object.entries(after))
      merged[t] = Math.max(merged[t] ?? 0, ms);
    expect(merged).toEqual(expected);
    // Every ticker touched during the outage was republished with its newest time.
    for (const t of tickers) expect(after[t]).toBe(expected[t]);
  });
});

describe('high availability', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('fails over under the default lease settings: the standby takes the lease within one poll of its expiry, well inside 10 s of the last renewal', async () => {
    // The production defaults, not the harness's short test lease.
    const defaults = loadConfig({});
    const ttlMs = defaults.LEASE_TTL_MS;
    const pollMs = defaults.LEASE_POLL_MS;
    // The claim: last renewal → lease expired (TTL) → next standby poll
    // (≤ poll) → connect, auth and subscribe. TTL + poll leaves the connect
    // more than 3 s of the 10 s.
    expect(ttlMs + pollMs).toBeLessThanOrEqual(7000);
    h = await startHarness({
      replicas: 2,
      env: { LEASE_TTL_MS: String(ttlMs), LEASE_POLL_MS: String(pollMs) },
    });
    await waitFor(() => h!.sim.stats().subscribed === 1, { timeoutMs: 15_000 });
    const [a, b] = h.replicas as [
      (typeof h.replicas)[0],
      (typeof h.replicas)[0],
    ];
    await waitFor(() => a.ingest.status().leader !== b.ingest.status().leader);
    const [leader, standby] = a.ingest.status().leader ? [a, b] : [b, a];
    expect((await standby.ingest.readiness()).polygon?.ok).toBe(true);
    expect((await leader.ingest.readiness()).polygon?.ok).toBe(true);

    const conn = testRedis();
    const key = createKeys(h.config.REDIS_KEY_PREFIX).lease('ingest');
    try {
      const holder = await conn.get(key);
      leader.redis.disconnect(); // the leader can no longer renew its lease
      // The lease's own clock: Redis expires it TTL after the last renewal.
      // `expiresAt` is at or before the real expiry (PTTL read after `before`).
      const before = Date.now();
      const pttl = await conn.pttl(key);
      const expiresAt = before + pttl;
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(ttlMs);
      const lastRenewalAt = expiresAt - ttlMs;

      // Polled at 20 ms: `takenAt` is at or after the real acquisition.
      await waitFor(
        async () => {
          const v = await conn.get(key);
          return v !== null && v !== holder;
        },
        {
          timeoutMs: 20_000,
          intervalMs: 20,
          what: 'the standby takes the lease',
        },
      );
      const takenAt = Date.now();
      // SET NX cannot succeed before the key expired.
      expect(takenAt).toBeGreaterThanOrEqual(expiresAt);
      // One poll after the expiry, plus generous slack for a loaded machine.
      expect(takenAt - expiresAt).toBeLessThanOrEqual(pollMs + 2000);
      expect(takenAt - lastRenewalAt).toBeLessThanOrEqual(
        ttlMs + pollMs + 2000,
      );
    } finally {
      conn.disconnect();
    }
    await waitFor(() => standby.ingest.status().authenticated, {
      timeoutMs: 20_000,
      what: 'the standby authenticated',
    });
    expect(leader.ingest.status().leader).toBe(false);
    expect(h.sim.stats()).toMatchObject({
      evictions: 0,
      maxConcurrentPerAccount: 1,
      authenticated: 1,
    });
  });

  it('closes the socket at once when another holder takes the lease', async () => {
    h = await startHarness({});
    await waitFor(() => h!.sim.stats().subscribed === 1, { timeoutMs: 15_000 });
    const conn = testRedis();
    try {
      await conn.set(
        createKeys(h.config.REDIS_KEY_PREFIX).lease('ingest'),
        'someone-else',
        'PX',
        60_000,
      );
      await waitFor(() => h!.sim.stats().connections === 0, {
        what: 'socket closed',
      });
      expect(h.replicas[0]!.ingest.status().leader).toBe(false);
      expect(
        await h.replicas[0]!.metric(
          'tickpulse_ingest_leader_transitions_total',
        ),
      ).toBe(2);
    } finally {
      conn.disconnect();
    }
  });

  describe('as processes (node dist/main.js)', () => {
    let sim: PolygonSim;
    const procs: ChildProcess[] = [];
    const prefix = uniquePrefix('ingest-ha');
    const bull = uniqueName('bull');
    afterAll(async () => {
      for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
      await sim?.close();
      const conn = testRedis();
      await deletePrefix(conn, prefix);
      await deletePrefix(conn, `${bull}:`);
      conn.disconnect();
    });

    const start = async () => {
      const port = await freePort();
      const p = spawn(
        process.execPath,
        [join(__dirname, '..', 'dist', 'main.js')],
        {
          env: {
            PATH: process.env.PATH,
            POLYGON_API_KEY: 'test-key',
            POLYGON_WS_URL: sim.url(),
            REDIS_URL: TEST_REDIS_URL,
            REDIS_KEY_PREFIX: prefix,
            BULLMQ_PREFIX: bull,
            HTTP_PORT: String(port),
            LEASE_TTL_MS: '3000',
            LEASE_POLL_MS: '250',
            LOG_LEVEL: 'warn',
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      procs.push(p);
      const ready = async () =>
        (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))
          ?.status === 200;
      await waitFor(ready, { timeoutMs: 20_000, what: 'replica ready' });
      return p;
    };

    // The time bound is proven from the lease in the in-process test above;
    // here: a SIGKILLed process is replaced, never two on the account.
    it('fails over when the leader is killed, and exits 0 on SIGTERM', async () => {
      sim = createPolygonSim({
        apiKeys: ['test-key'],
        rate: 200,
        tickers: 200,
      });
      await sim.listen(0);
      const first = await start();
      await waitFor(() => sim.stats().subscribed === 1, { timeoutMs: 20_000 });
      const second = await start();
      expect(sim.stats().totalConnections).toBe(1);

      first.kill('SIGKILL');
      await waitFor(
        () =>
          sim.stats().subscribed === 1 && sim.stats().totalConnections === 2,
        {
          timeoutMs: 20_000,
          what: 'takeover',
        },
      );
      expect(sim.stats()).toMatchObject({
        evictions: 0,
        maxConcurrentPerAccount: 1,
      });

      const exit = new Promise<number | null>(resolve =>
        second.once('exit', code => resolve(code)),
      );
      second.kill('SIGTERM');
      expect(await exit).toBe(0);
      await waitFor(() => sim.stats().connections === 0);
      const conn = testRedis();
      try {
        expect(await conn.exists(createKeys(prefix).lease('ingest'))).toBe(0);
      } finally {
        conn.disconnect();
      }
    });
  });
});
