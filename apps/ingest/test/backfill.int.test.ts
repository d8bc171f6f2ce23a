import type { ScriptedPrint } from '@tickpulse/polygon-sim';
import { createKeys } from '@tickpulse/contracts';
import { createTickStore } from '@tickpulse/redis';
import { testRedis, waitFor } from '@tickpulse/testkit';
import { startHarness, type Harness, type Replica } from './helpers';

const ns = (ms: number, sub = 0) =>
  String(BigInt(ms) * 1_000_000n + BigInt(sub));

describe('ingest gap healing from REST (polygon-sim)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const streaming = (r: Replica) =>
    waitFor(() => r.ingest.status().state === 'streaming', {
      timeoutMs: 15_000,
    });

  const watermark = async (harness: Harness) => {
    const conn = testRedis();
    try {
      const v = await conn.get(
        createKeys(harness.config.REDIS_KEY_PREFIX).watermark('ingest'),
      );
      return v === null ? undefined : Number(v);
    } finally {
      conn.disconnect();
    }
  };

  /** Streams one eligible print per ticker and waits until its batch and the watermark are written. */
  const streamBefore = async (harness: Harness, prints: ScriptedPrint[]) => {
    harness.sim.addPrints(prints, true);
    const newest = Math.max(
      ...prints.map(p => Number(BigInt(p.sipNs) / 1_000_000n)),
    );
    await waitFor(async () => ((await watermark(harness)) ?? 0) >= newest, {
      timeoutMs: 10_000,
    });
  };

  /** The queued batches applied the way tick-writer applies them (ZADD GT) onto `seed`. */
  const tickUpd = async (harness: Harness, seed: [string, number][] = []) => {
    const conn = testRedis();
    try {
      const store = createTickStore(
        conn,
        createKeys(harness.config.REDIS_KEY_PREFIX),
      );
      if (seed.length) await store.markUpdated(seed);
      await store.markUpdated(Object.entries(await harness.queued()));
      const key = createKeys(harness.config.REDIS_KEY_PREFIX).tickUpd();
      const out: Record<string, number> = {};
      for (const ticker of await conn.zrange(key, '0', '-1'))
        out[ticker] = Number(await conn.zscore(key, ticker));
      return out;
    } finally {
      conn.disconnect();
    }
  };

  /**
   * Prints only REST knows, in the gap after t0: B's last print is eligible
   * and at the last ns of its millisecond; C's newest eligible print is
   * below five odd lots (three pages of two); D never had an eligible print;
   * E's only eligible print is before the gap; F's gap prints are odd lots.
   */
  const gapPrints = (
    sym: (k: number) => string,
    t0: number,
  ): ScriptedPrint[] => [
    { sym: sym(1), sipNs: ns(t0 + 100, 999_999) },
    { sym: sym(2), sipNs: ns(t0 + 200), conditions: [14] },
    ...[0, 1, 2, 3, 4].map(j => ({
      sym: sym(2),
      sipNs: ns(t0 + 250 + j),
      conditions: [37],
    })),
    { sym: sym(3), sipNs: ns(t0 + 150), conditions: [37] },
    { sym: sym(3), sipNs: ns(t0 + 160), conditions: [2] },
    { sym: sym(4), sipNs: ns(t0 - 30_000) },
    { sym: sym(4), sipNs: ns(t0 + 170), conditions: [37] },
    { sym: sym(5), sipNs: ns(t0 + 180), conditions: [37] },
  ];

  it('heals a cut: prints only REST knows reach TICK:UPD exactly, never-eligible tickers stay absent, nothing moves back', async () => {
    h = await startHarness({
      sim: { tickers: 30, restPageSize: 2 },
      env: { BACKFILL_MARGIN_MS: '1000' },
    });
    const [r] = h.replicas;
    await streaming(r!);
    const sym = (k: number) => h!.sim.tickers[k]!.sym;
    const t0 = Date.now() - 2000;
    await streamBefore(h, [
      { sym: sym(0), sipNs: ns(t0) },
      { sym: sym(5), sipNs: ns(t0 - 10) },
    ]);
    h.sim.addPrints(gapPrints(sym, t0));
    const tradesBefore = h.sim.stats().restRequests['trades 200'] ?? 0;

    expect(h.sim.dropConnections()).toBe(1);
    await waitFor(
      async () => (await r!.metric('tickpulse_ingest_gaps_total')) >= 1,
      {
        timeoutMs: 15_000,
      },
    );
    await waitFor(async () => (await h!.queued())[sym(2)] !== undefined);

    // sym(6) holds a newer time from elsewhere: ZADD GT keeps it.
    const later = t0 + 60_000;
    expect(await tickUpd(h, [[sym(6), later]])).toEqual({
      [sym(0)]: t0,
      [sym(1)]: t0 + 100,
      [sym(2)]: t0 + 200,
      [sym(5)]: t0 - 10,
      [sym(6)]: later,
    });
    expect(await r!.metric('tickpulse_ingest_backfill_tickers_total')).toBe(4);
    // C took three pages; D, E and F one each.
    expect((h.sim.stats().restRequests['trades 200'] ?? 0) - tradesBefore).toBe(
      6,
    );
    expect(r!.ingest.status().state).toBe('streaming');
  });

  it('heals the gap of an ingest restart and of a leader failover from the watermark in Redis', async () => {
    h = await startHarness({
      sim: { tickers: 30 },
      env: { BACKFILL_MARGIN_MS: '1000' },
    });
    const sym = (k: number) => h!.sim.tickers[k]!.sym;
    const first = h.replicas[0]!;
    await streaming(first);
    const t0 = Date.now() - 5000;
    await streamBefore(h, [{ sym: sym(0), sipNs: ns(t0) }]);

    // Restart: the process stops, the market goes on, a new process starts.
    await first.ingest.stop();
    h.sim.addPrints([{ sym: sym(1), sipNs: ns(t0 + 500, 999_999) }]);
    const second = await h.addReplica();
    await waitFor(async () => (await h!.queued())[sym(1)] === t0 + 500, {
      timeoutMs: 15_000,
    });

    // Failover: a standby takes over when the leader goes away.
    const standby = await h.addReplica();
    expect(standby.ingest.status().leader).toBe(false);
    await streamBefore(h, [{ sym: sym(2), sipNs: ns(t0 + 1000) }]);
    await second.ingest.stop();
    h.sim.addPrints([{ sym: sym(3), sipNs: ns(t0 + 1500) }]);
    await waitFor(async () => (await h!.queued())[sym(3)] === t0 + 1500, {
      timeoutMs: 15_000,
    });
    expect(standby.ingest.status().leader).toBe(true);
    expect(await standby.metric('tickpulse_ingest_gaps_total')).toBe(1);
  });

  it('respects the request budget, survives and counts 500, malformed JSON, 429 and 401', async () => {
    h = await startHarness({
      sim: { tickers: 30 },
      env: {
        BACKFILL_REQUEST_BUDGET: '3',
        BACKFILL_CONCURRENCY: '1',
        BACKFILL_RETRY_MIN_MS: '10',
      },
    });
    const [r] = h.replicas;
    await streaming(r!);
    const sym = (k: number) => h!.sim.tickers[k]!.sym;
    const t0 = Date.now() - 1000;
    // Six tickers need a lookup each: a budget of 3 is one snapshot + two lookups.
    h.sim.addPrints(
      [1, 2, 3, 4, 5, 6].flatMap(k => [
        { sym: sym(k), sipNs: ns(t0 + k) },
        { sym: sym(k), sipNs: ns(t0 + 10 + k), conditions: [37] },
      ]),
    );
    const partial = await r!.ingest.backfill({ since: t0 - 100 });
    expect(partial).toMatchObject({
      outcome: 'partial',
      requests: 3,
      lookedUp: 6,
      fromTrades: 2,
      unresolved: 4,
    });
    expect(h.sim.stats().restRequests).toEqual({
      'snapshot 200': 1,
      'trades 200': 2,
    });

    // Retried within the budget: 500, malformed, 429, then the snapshot.
    h.sim.injectRestFault('server_error', 1, 'snapshot');
    h.sim.injectRestFault('malformed', 1, 'snapshot');
    h.sim.injectRestFault('rate_limit', 1, 'snapshot');
    const retried = await r!.ingest.backfill({ since: t0 + 100 });
    expect(retried).toMatchObject({ outcome: 'failed', requests: 3 });
    h.sim.injectRestFault('server_error', 1, 'snapshot');
    expect(await r!.ingest.backfill({ since: t0 + 100 })).toMatchObject({
      outcome: 'healed',
      requests: 2,
    });

    h.sim.injectRestFault('unauthorized', 1);
    expect(await r!.ingest.backfill({ since: t0 })).toMatchObject({
      outcome: 'unauthorized',
      requests: 1,
    });
    const text = await r!.registry.metrics();
    for (const status of ['500', 'malformed', '429', '401', '200'])
      expect(text).toContain(
        `tickpulse_ingest_rest_requests_total{endpoint="snapshot",status="${status}"}`,
      );
    expect(text).toContain(
      'tickpulse_ingest_gaps_total{outcome="unauthorized"} 1',
    );
    expect(r!.ingest.status().state).toBe('streaming');
    expect(r!.fatal).toEqual([]);
  });

  it('keeps the watermark at a gap that is not healed yet, so a successor still heals it', async () => {
    h = await startHarness({
      sim: { tickers: 30 },
      env: {
        BACKFILL_MARGIN_MS: '1000',
        BACKFILL_REQUEST_TIMEOUT_MS: '60000',
      },
    });
    const sym = (k: number) => h!.sim.tickers[k]!.sym;
    const first = h.replicas[0]!;
    await streaming(first);
    const t0 = Date.now() - 5000;
    await streamBefore(h, [{ sym: sym(0), sipNs: ns(t0) }]);
    h.sim.addPrints([{ sym: sym(1), sipNs: ns(t0 + 100) }]);
    // The backfill after this cut hangs on its snapshot...
    h.sim.injectRestFault('hang', 1, 'snapshot');
    h.sim.dropConnections();
    await waitFor(
      () => (h!.sim.stats().restRequests['snapshot hang'] ?? 0) === 1,
      {
        timeoutMs: 15_000,
      },
    );
    await streaming(first);
    // ...while the stream goes on and its batches are published.
    h.sim.addPrints([{ sym: sym(2), sipNs: ns(t0 + 3000) }], true);
    await waitFor(async () => (await h!.queued())[sym(2)] === t0 + 3000);
    await first.ingest.stop();
    expect(await watermark(h)).toBe(t0);
    expect(await first.metric('tickpulse_ingest_gaps_total')).toBe(1);

    const second = await h.addReplica();
    await waitFor(async () => (await h!.queued())[sym(1)] === t0 + 100, {
      timeoutMs: 15_000,
    });
    expect(await second.metric('tickpulse_ingest_gaps_total')).toBe(1);
  });
});
