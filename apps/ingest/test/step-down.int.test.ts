/**
 * A leader that cannot reach Polygon gives the lease up after
 * LEADER_STEP_DOWN_AFTER_MS, so that a standby that can reach it takes over;
 * a leader whose stream is live keeps the lease.
 */
import { freePort, seriesValue, waitFor } from '@tickpulse/testkit';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  captureLogs,
  startHarness,
  trade,
  type Harness,
  type Replica,
} from './helpers';

const TRANSITIONS = 'tickpulse_ingest_leader_transitions_total';
const STEP_DOWN_MSG =
  'stepping down as leader: no live Polygon stream for LEADER_STEP_DOWN_AFTER_MS; ' +
  'closing the connection, then releasing the lease so that a standby can try';
const ENV = {
  LEASE_TTL_MS: '1000',
  LEASE_POLL_MS: '200',
  LEADER_STEP_DOWN_AFTER_MS: '2500',
};

const transitions = (r: Replica, transition: string) =>
  seriesValue(r.registry, TRANSITIONS, { transition });

describe('leader step-down', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** A ws:// URL where nothing listens: every connection attempt is refused. */
  const deadUrl = async () => `ws://127.0.0.1:${await freePort()}/stocks`;

  it('a leader that cannot reach Polygon steps down and a standby takes the feed', async () => {
    const logs = captureLogs('info');
    h = await startHarness({ env: ENV, replicas: 0, logger: logs.logger });
    const cut = await h.addReplica(undefined, {
      POLYGON_WS_URL: await deadUrl(),
    });
    await waitFor(() => cut.ingest.status().leader, {
      timeoutMs: 10_000,
      what: 'the unreachable replica leads',
    });
    const standby = await h.addReplica();
    expect(standby.ingest.status().leader).toBe(false);

    await waitFor(
      () =>
        standby.ingest.status().leader &&
        standby.ingest.status().state === 'streaming' &&
        h!.sim.stats().subscribed === 1,
      { timeoutMs: 20_000, what: 'the standby leads and streams' },
    );
    expect(cut.ingest.status().leader).toBe(false);
    expect(await transitions(cut, 'stepped_down')).toBe(1);
    expect(await transitions(standby, 'stepped_down')).toBe(0);
    // Only the standby ever reached the account.
    expect(h.sim.stats().totalConnections).toBe(1);

    const [line, ...more] = logs.lines(STEP_DOWN_MSG);
    expect(more).toHaveLength(0);
    expect(line).toMatchObject({
      level: 'warn',
      component: 'leader',
      reason: 'Polygon stream not live',
    });
    expect(line!.downMs).toBeGreaterThanOrEqual(2500);

    const t = Date.now() - 1000;
    h.sim.sendFrames([[trade('STEP', t)]]);
    await waitFor(async () => (await h!.queued()).STEP === t, {
      timeoutMs: 10_000,
      what: 'the trade on the ticks queue',
    });
    // The cooldown is over long since; the standby's live stream keeps the lease.
    expect(cut.ingest.status().leader).toBe(false);
    expect(await transitions(cut, 'stepped_down')).toBe(1);
  });

  it('a single replica that cannot reach Polygon retakes the lease after each cooldown', async () => {
    h = await startHarness({ env: ENV, replicas: 0 });
    const cut = await h.addReplica(undefined, {
      POLYGON_WS_URL: await deadUrl(),
    });
    await waitFor(async () => (await transitions(cut, 'stepped_down')) >= 2, {
      timeoutMs: 20_000,
      what: 'two step-downs',
    });
    expect(await transitions(cut, 'acquired')).toBeGreaterThanOrEqual(2);
    expect(await transitions(cut, 'lost')).toBe(0);
  });

  it('a leader whose key was rejected keeps the lease (the process exits on the fatal error)', async () => {
    h = await startHarness({ env: ENV, replicas: 0 });
    const rejected = await h.addReplica(undefined, {
      POLYGON_API_KEY: 'wrong-key',
    });
    await waitFor(() => rejected.fatal.length === 1, {
      timeoutMs: 10_000,
      what: 'the auth failure',
    });
    await sleep(2 * 2500);
    expect(rejected.ingest.status().leader).toBe(true);
    expect(await transitions(rejected, 'stepped_down')).toBe(0);
  });

  it('a leader whose stream is live never steps down', async () => {
    h = await startHarness({ env: ENV, replicas: 2 });
    const [a, b] = h.replicas as [Replica, Replica];
    await waitFor(
      () =>
        h!.sim.stats().subscribed === 1 &&
        [a, b].some(r => r.ingest.status().state === 'streaming'),
      { timeoutMs: 15_000, what: 'one replica streaming' },
    );
    const leader = a.ingest.status().leader ? a : b;
    // Several step-down periods with the stream live all along.
    await sleep(4 * 2500);
    expect(leader.ingest.status()).toMatchObject({
      leader: true,
      state: 'streaming',
    });
    expect(await transitions(a, 'stepped_down')).toBe(0);
    expect(await transitions(b, 'stepped_down')).toBe(0);
    expect(h.sim.stats().totalConnections).toBe(1);
  });
});
