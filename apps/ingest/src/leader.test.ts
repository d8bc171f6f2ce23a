import { Writable } from 'node:stream';
import { createCoalescer } from '@tickpulse/polygon';
import { type Lease } from '@tickpulse/redis';
import { createLogger } from '@tickpulse/service-kit';
import { Registry } from 'prom-client';
import { createLeaderElector } from './leader';
import { createIngestMetrics } from './metrics';

const silent = createLogger({
  service: 'test',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

const TTL = 3000; // renew every 1000 ms, valid locally for 2250 ms
const POLL = 500;

/** A lease whose answers the test sets, counting the calls. */
function fakeLease() {
  const state = {
    free: true,
    renewOk: true,
    /** A renew that never answers (Redis gone). */
    renewHangs: false,
    acquireError: null as Error | null,
    calls: { acquire: 0, renew: 0, release: 0 },
  };
  const lease: Lease = {
    token: 't',
    acquire: async () => {
      state.calls.acquire++;
      if (state.acquireError) throw state.acquireError;
      return state.free;
    },
    renew: () => {
      state.calls.renew++;
      if (state.renewHangs) return new Promise<boolean>(() => {});
      return Promise.resolve(state.renewOk);
    },
    release: async () => {
      state.calls.release++;
    },
    holder: async () => null,
  };
  return { lease, state };
}

function setup(stepDown?: { afterMs: number; live: () => boolean }) {
  const { lease, state } = fakeLease();
  const events: string[] = [];
  const elector = createLeaderElector({
    lease,
    ttlMs: TTL,
    pollMs: POLL,
    logger: silent,
    metrics: createIngestMetrics(new Registry(), createCoalescer()),
    onElected: () => events.push(`elected@${Date.now() - T0}`),
    onDemoted: reason => {
      events.push(`demoted:${reason}@${Date.now() - T0}`);
    },
    stepDown: stepDown && {
      afterMs: stepDown.afterMs,
      cooldownMs: 3 * POLL,
      isLive: stepDown.live,
    },
  });
  return { elector, state, events };
}

const T0 = 1_752_586_200_000;

describe('leader elector', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('takes a free lease, renews it every third of the TTL, demotes when it is taken', async () => {
    const { elector, state, events } = setup();
    elector.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(elector.isLeader).toBe(true);
    expect(events).toEqual(['elected@0']);
    await jest.advanceTimersByTimeAsync(3000);
    expect(state.calls.renew).toBe(3);
    state.renewOk = false;
    await jest.advanceTimersByTimeAsync(1000);
    expect(elector.isLeader).toBe(false);
    expect(events).toEqual([
      'elected@0',
      'demoted:lease taken or expired@4000',
    ]);
    elector.stop();
  });

  it('demotes itself at ¾ TTL when a renew never answers, before the lease can expire', async () => {
    const { elector, state, events } = setup();
    elector.start();
    await jest.advanceTimersByTimeAsync(1000); // elected at 0, renewed at 1000
    state.renewHangs = true;
    await jest.advanceTimersByTimeAsync(3249 - 1000);
    expect(elector.isLeader).toBe(true);
    await jest.advanceTimersByTimeAsync(1);
    expect(elector.isLeader).toBe(false);
    expect(events.at(-1)).toBe('demoted:lease not renewed in time@3250');
    elector.stop();
  });

  it('a dead stream steps down: closed, then released, then a cooldown of three polls', async () => {
    const { elector, state, events } = setup({
      afterMs: 2500,
      live: () => false,
    });
    elector.start();
    await jest.advanceTimersByTimeAsync(2999);
    expect(elector.isLeader).toBe(true);
    await jest.advanceTimersByTimeAsync(1);
    expect(elector.isLeader).toBe(false);
    expect(events).toEqual(['elected@0', 'demoted:stepped_down@3000']);
    expect(state.calls.release).toBe(1);
    const acquiresAtStepDown = state.calls.acquire;
    await jest.advanceTimersByTimeAsync(1499);
    expect(state.calls.acquire).toBe(acquiresAtStepDown);
    await jest.advanceTimersByTimeAsync(500);
    expect(state.calls.acquire).toBe(acquiresAtStepDown + 1);
    expect(elector.isLeader).toBe(true);
    elector.stop();
  });

  it('a live stream keeps the lease', async () => {
    const { elector, events } = setup({ afterMs: 2500, live: () => true });
    elector.start();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(elector.isLeader).toBe(true);
    expect(events).toEqual(['elected@0']);
    elector.stop();
    expect(events).toEqual(['elected@0', 'demoted:shutdown@10000']);
  });

  it('a standby refused as read-only says it can never lead, until an attempt goes through', async () => {
    const { elector, state } = setup();
    state.free = false;
    state.acquireError = new Error(
      "READONLY You can't write against a read only replica.",
    );
    elector.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(elector.cannotLead).toMatch(/^READONLY/);
    state.acquireError = null;
    await jest.advanceTimersByTimeAsync(POLL);
    expect(elector.cannotLead).toBeNull();
    expect(elector.isLeader).toBe(false);
    elector.stop();
  });
});
