import { seededRandom, waitFor } from '@tickpulse/testkit';
import { PolygonAuthError } from '../src/errors';
import { startHarness, trade, type Harness } from './helpers';

// The reference exclusion lists, written out here independently of the code under test.
const EXCLUDED: Record<string, number[]> = {
  backend: [2, 7, 13, 20, 21, 37, 52, 53],
  'sip-last': [2, 5, 7, 10, 12, 13, 15, 16, 20, 21, 22, 29, 32, 33, 37, 52, 53],
};
const ALL_IDS = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
  23, 24, 25, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 41, 52, 53, 55,
  57, 60, 62, 71, 0, 99,
];

const subscribed = (h: Harness) =>
  waitFor(() => h.sim.stats().subscribed === 1, {
    timeoutMs: 15_000,
    what: 'ingest subscribed',
  });

describe('ingest against polygon-sim, real Redis and BullMQ', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it.each(['backend', 'sip-last'])(
    'publishes only %s-eligible trades, with exact per-ticker maxima',
    async policy => {
      h = await startHarness({ env: { CONDITION_POLICY: policy } });
      await subscribed(h);
      const r = seededRandom(policy.length);
      const now = Date.now();
      const tickers = Array.from({ length: 40 }, (_, k) => `TK${k}`);
      const expected: Record<string, number> = {};
      let eligible = 0;
      const frames: Record<string, unknown>[][] = [];
      for (let f = 0; f < 30; f++) {
        const events: Record<string, unknown>[] = [];
        for (let k = 0; k < 50; k++) {
          const sym = tickers[Math.floor(r() * tickers.length)]!;
          const t = now - Math.floor(r() * 60_000);
          const n = Math.floor(r() * 3);
          const c =
            n === 0 && r() < 0.5
              ? undefined
              : Array.from(
                  { length: n },
                  () => ALL_IDS[Math.floor(r() * ALL_IDS.length)]!,
                );
          events.push(trade(sym, t, c));
          if (!(c ?? []).some(id => EXCLUDED[policy]!.includes(id))) {
            eligible++;
            expected[sym] = Math.max(expected[sym] ?? 0, t);
          }
        }
        frames.push(events);
      }
      h.sim.sendFrames(frames);
      const rep = h.replicas[0]!;
      await waitFor(
        async () =>
          (await rep.metric('tickpulse_ingest_trades_received_total')) === 1500,
      );
      expect(await rep.metric('tickpulse_ingest_trades_eligible_total')).toBe(
        eligible,
      );
      await waitFor(async () => rep.ingest.status().pendingTickers === 0);
      await waitFor(
        async () =>
          JSON.stringify(sortKeys(await h!.queued())) ===
          JSON.stringify(sortKeys(expected)),
        {
          what: 'queued maxima',
        },
      );
      expect(eligible).toBeGreaterThan(100);
      expect(eligible).toBeLessThan(1500);
    },
  );

  it('reconnects and re-subscribes after a dropped connection', async () => {
    h = await startHarness({});
    await subscribed(h);
    expect(h.sim.dropConnections()).toBe(1);
    await waitFor(
      () =>
        h!.sim.stats().subscribeMessages === 2 &&
        h!.sim.stats().subscribed === 1,
      {
        what: 're-subscribe',
      },
    );
    const t = Date.now();
    h.sim.sendFrames([[trade('AFTER', t)]]);
    await waitFor(async () => (await h!.queued()).AFTER === t);
    expect(
      await h.replicas[0]!.metric('tickpulse_ingest_reconnects_total'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('treats a silent connection (no data, no pong) as dead', async () => {
    h = await startHarness({
      env: { PING_INTERVAL_MS: '100', READ_TIMEOUT_MS: '600' },
    });
    await subscribed(h);
    h.sim.stall(true);
    await waitFor(() => h!.sim.stats().totalConnections === 2, {
      what: 'reconnect after stall',
    });
    h.sim.stall(false);
    await subscribed(h);
  });

  it('stops on auth_failed with a clear error, without retrying', async () => {
    h = await startHarness({ sim: { apiKeys: ['another-key'] } });
    const rep = h.replicas[0]!;
    await waitFor(() => rep.fatal.length === 1, { what: 'fatal error' });
    expect(rep.fatal[0]).toBeInstanceOf(PolygonAuthError);
    expect(rep.fatal[0]!.message).toMatch(/auth_failed.*POLYGON_API_KEY/);
    expect(rep.fatal[0]!.message).not.toContain('test-key');
    expect(rep.ingest.status().state).toBe('stopped');
    // RECONNECT_MIN_MS is 50 ms: a retry would have happened within this wait.
    await new Promise(r => setTimeout(r, 500));
    expect(h.sim.stats().totalConnections).toBe(1);
    expect(h.sim.stats().authFailures).toBe(1);
    expect((await rep.ingest.readiness()).polygon?.ok).toBe(false);
  });

  it('cools down after max_connections before reconnecting', async () => {
    h = await startHarness({ env: { MAX_CONNECTIONS_COOLDOWN_MS: '1500' } });
    await subscribed(h);
    const rep = h.replicas[0]!;
    const at = Date.now();
    h.sim.sendMaxConnections();
    await waitFor(() => rep.ingest.status().state === 'cooldown');
    expect(await rep.metric('tickpulse_ingest_max_connections_total')).toBe(1);
    expect(h.sim.stats().totalConnections).toBe(1);
    await waitFor(() => h!.sim.stats().totalConnections === 2, {
      what: 'reconnect after cooldown',
    });
    expect(Date.now() - at).toBeGreaterThanOrEqual(1500);
    await subscribed(h);
  });

  it('counts malformed frames by reason, skips them and keeps going', async () => {
    h = await startHarness({});
    await subscribed(h);
    for (const kind of [
      'not_json',
      'not_array',
      'missing_fields',
      'bad_fields',
      'not_object',
      'binary',
    ] as const)
      h.sim.sendMalformed(kind);
    h.sim.sendFutureTrades(3, 3_600_000);
    h.sim.sendStatus('something_new', 'hello');
    const t = Date.now();
    h.sim.sendFrames([[trade('GOOD', t)]]);
    await waitFor(async () => (await h!.queued()).GOOD === t);
    const text = await h.replicas[0]!.registry.metrics();
    const count = (reason: string) =>
      Number(
        new RegExp(
          `tickpulse_ingest_invalid_total\\{reason="${reason}"\\} (\\d+)`,
        ).exec(text)?.[1] ?? 0,
      );
    expect(count('malformed_json')).toBe(2); // not_json + binary
    expect(count('not_array')).toBe(1);
    expect(count('missing_field')).toBe(2);
    expect(count('bad_field')).toBe(2);
    expect(count('bad_conditions')).toBe(1);
    expect(count('not_object')).toBe(3);
    expect(count('future_timestamp')).toBe(3);
    expect(text).toMatch(
      /tickpulse_ingest_status_messages_total\{status="other"\} 1/,
    );
    expect(h.replicas[0]!.ingest.status().authenticated).toBe(true);
  });
});

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(o).sort(([a], [b]) => a.localeCompare(b)),
  );
}
