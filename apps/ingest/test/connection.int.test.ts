/**
 * What the connection manager claims, against polygon-sim over a real
 * WebSocket: the backoff resets only after `HEALTHY_AFTER_MS` of stable
 * connection, both `auth_timeout` paths, and `error`/unknown statuses that
 * neither crash nor drop the connection.
 */
import { seriesValue, waitFor } from '@tickpulse/testkit';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  captureLogs,
  startHarness,
  trade,
  type Harness,
  type Replica,
} from './helpers';

const DISCONNECTS = 'tickpulse_ingest_disconnects_total';
const STATUSES = 'tickpulse_ingest_status_messages_total';

describe('Polygon connection', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const streamingOn = (r: Replica, connections: number) =>
    waitFor(
      () =>
        h!.sim.stats().totalConnections === connections &&
        h!.sim.stats().subscribed === 1 &&
        r.ingest.status().state === 'streaming',
      { timeoutMs: 15_000, what: `connection ${connections} streaming` },
    );

  /** Cuts the connection with auth left unanswered; waits until `series` counted `n`. */
  const silenceAuth = async (
    r: Replica,
    series: [string, Record<string, string>],
    n: number,
  ) => {
    h!.sim.ignoreAuth(true);
    h!.sim.dropConnections();
    await waitFor(async () => (await seriesValue(r.registry, ...series)) >= n, {
      timeoutMs: 20_000,
      what: `${n} × ${JSON.stringify(series)}`,
    });
  };

  it('grows the backoff across connections that drop before HEALTHY_AFTER_MS and resets it after one that stayed up longer', async () => {
    const logs = captureLogs();
    const healthyAfterMs = 3000;
    const minMs = 40;
    h = await startHarness({
      logger: logs.logger,
      env: {
        RECONNECT_MIN_MS: String(minMs),
        RECONNECT_MAX_MS: '10000',
        HEALTHY_AFTER_MS: String(healthyAfterMs),
      },
    });
    const r = h.replicas[0]!;
    await streamingOn(r, 1);
    // Four drops right after each subscription: far inside HEALTHY_AFTER_MS.
    for (let n = 1; n <= 4; n++) {
      h.sim.dropConnections();
      await streamingOn(r, n + 1);
    }
    // Streaming comes after auth_success, so this connection stays
    // authenticated longer than HEALTHY_AFTER_MS before it is dropped.
    await sleep(healthyAfterMs + 500);
    h.sim.dropConnections();
    await streamingOn(r, 6);

    const closed = logs.lines('connection closed').map(l => l.healthy);
    expect(closed).toEqual([false, false, false, false, true]);
    const delays = logs.lines('reconnecting after delay');
    expect(delays.map(l => l.attempt)).toEqual([0, 1, 2, 3, 0]);
    // Each delay is its step's base ±50 %: steps 0 and 3 cannot be confused.
    for (const l of delays) {
      const base = minMs * 2 ** (l.attempt as number);
      expect(l.delayMs).toBeGreaterThanOrEqual(base * 0.5);
      expect(l.delayMs).toBeLessThanOrEqual(base * 1.5);
    }
    expect(
      await seriesValue(r.registry, DISCONNECTS, { reason: 'closed' }),
    ).toBe(5);
    expect(await r.metric('tickpulse_ingest_reconnects_total')).toBe(5);
    expect(r.fatal).toEqual([]);
  });

  it('auth_timeout: a server that never answers the auth is cut after AUTH_TIMEOUT_MS, counted and retried with backoff', async () => {
    const logs = captureLogs();
    h = await startHarness({
      logger: logs.logger,
      // The sim's own auth_timeout comes much later: this is the client's deadline.
      sim: { authTimeoutMs: 60_000 },
      env: {
        AUTH_TIMEOUT_MS: '300',
        PING_INTERVAL_MS: '200',
        READ_TIMEOUT_MS: '2000',
        RECONNECT_MIN_MS: '50',
        RECONNECT_MAX_MS: '5000',
      },
    });
    const r = h.replicas[0]!;
    await streamingOn(r, 1);
    await silenceAuth(r, [DISCONNECTS, { reason: 'auth_timeout' }], 3);
    expect(h.sim.stats().authIgnored).toBeGreaterThanOrEqual(3);
    expect(
      logs.lines('not authenticated in time, reconnecting').length,
    ).toBeGreaterThanOrEqual(3);
    const retries = logs
      .lines('reconnecting after delay')
      .filter(l => l.outcome === 'auth_timeout')
      .map(l => l.attempt);
    // The drop was step 0; every unanswered auth is one step further.
    expect(retries.slice(0, 3)).toEqual([1, 2, 3]);
    expect(r.ingest.status().authenticated).toBe(false);

    h.sim.ignoreAuth(false);
    await waitFor(() => r.ingest.status().state === 'streaming', {
      timeoutMs: 20_000,
      what: 'streaming again once the server answers',
    });
    expect(r.fatal).toEqual([]);
    expect(h.sim.stats().maxConcurrentPerAccount).toBe(1);
  });

  it('auth_timeout from Polygon: the status closes the connection, is counted and retried', async () => {
    const logs = captureLogs();
    h = await startHarness({
      logger: logs.logger,
      sim: { authTimeoutMs: 200 },
      env: { AUTH_TIMEOUT_MS: '30000' },
    });
    const r = h.replicas[0]!;
    await streamingOn(r, 1);
    await silenceAuth(r, [STATUSES, { status: 'auth_timeout' }], 2);
    await waitFor(
      async () =>
        (await seriesValue(r.registry, DISCONNECTS, {
          reason: 'auth_timeout',
        })) >= 2,
    );
    expect(
      logs.lines('Polygon timed out waiting for auth').length,
    ).toBeGreaterThanOrEqual(2);
    h.sim.ignoreAuth(false);
    await waitFor(() => r.ingest.status().state === 'streaming', {
      timeoutMs: 20_000,
    });
    expect(r.fatal).toEqual([]);
  });

  it('logs and counts an error status and an unknown one, and keeps the connection and its pending state', async () => {
    const logs = captureLogs();
    h = await startHarness({ logger: logs.logger });
    const r = h.replicas[0]!;
    await streamingOn(r, 1);
    const t = Date.now() - 1000;
    h.sim.sendFrames([[trade('ERRA', t)]]);
    expect(h.sim.sendStatus('error', 'something went wrong upstream')).toBe(1);
    expect(h.sim.sendStatus('brand_new_status', 'hello')).toBe(1);
    h.sim.sendFrames([[trade('ERRB', t + 1)]]);
    await waitFor(async () => {
      const q = await h!.queued();
      return q.ERRA === t && q.ERRB === t + 1;
    });

    expect(await seriesValue(r.registry, STATUSES, { status: 'error' })).toBe(
      1,
    );
    expect(await seriesValue(r.registry, STATUSES, { status: 'other' })).toBe(
      1,
    );
    expect(logs.lines('Polygon reported an error')).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'something went wrong upstream',
      }),
    ]);
    expect(logs.lines('unknown Polygon status')).toEqual([
      expect.objectContaining({
        level: 'warn',
        status: 'brand_new_status',
        message: 'hello',
      }),
    ]);
    // A chatty peer: many error statuses with a megabyte of text each cost
    // at most a line per 10 s, each cut short.
    const huge = 'x'.repeat(1_000_000);
    for (let i = 0; i < 20; i++) h.sim.sendStatus('error', huge);
    await waitFor(
      async () =>
        (await seriesValue(r.registry, STATUSES, { status: 'error' })) === 21,
    );
    const errors = logs.lines('Polygon reported an error');
    expect(errors.length).toBeLessThanOrEqual(2);
    for (const line of errors)
      expect(JSON.stringify(line).length).toBeLessThan(2000);
    expect(r.ingest.status()).toMatchObject({
      leader: true,
      state: 'streaming',
      authenticated: true,
    });
    expect(h.sim.stats().totalConnections).toBe(1);
    expect(await r.metric(DISCONNECTS)).toBe(0);
    expect(r.fatal).toEqual([]);
  });
});
