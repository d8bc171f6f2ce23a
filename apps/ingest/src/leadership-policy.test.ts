import { Writable } from 'node:stream';
import { createLogger } from '@tickpulse/service-kit';
import { createLeadershipPolicy } from './leadership-policy';

const TTL = 4000;
const HANDOVER = 3000;

const silent = createLogger({
  service: 'test',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

/** A policy over plain flags that records what it did. */
function setup(check: () => Promise<boolean | null> = async () => false) {
  const state = {
    leader: true,
    stopping: false,
    fatal: false,
    failRebuild: false,
    connects: [] as number[],
    rebuilds: [] as number[],
  };
  const policy = createLeadershipPolicy({
    leaseTtlMs: TTL,
    log: silent,
    isLeader: () => state.leader,
    isStopping: () => state.stopping,
    isFatal: () => state.fatal,
    checkDataLoss: check,
    connect: () => state.connects.push(Date.now()),
    rebuild: async () => {
      state.rebuilds.push(Date.now());
      if (state.failRebuild) throw new Error('REST down');
    },
  });
  return { policy, state };
}

describe('leadership policy', () => {
  const T0 = 1_752_586_200_000;
  beforeEach(() => {
    jest.useFakeTimers();
    jest.setSystemTime(T0);
  });
  afterEach(() => jest.useRealTimers());

  it('connects at once when elected with no loss noticed', async () => {
    const { policy, state } = setup();
    await policy.elected();
    expect(state.connects).toEqual([T0]);
    expect(state.rebuilds).toEqual([]);
  });

  it('waits ¾ TTL from a loss before connecting, then rebuilds once', async () => {
    const { policy, state } = setup();
    state.leader = false;
    const lost = policy.dataLost();
    await jest.advanceTimersByTimeAsync(1000);
    state.leader = true;
    const elected = policy.elected();
    await jest.advanceTimersByTimeAsync(HANDOVER - 1000 - 1);
    expect(state.connects).toEqual([]);
    expect(state.rebuilds).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    await Promise.all([lost, elected]);
    expect(state.connects).toEqual([T0 + HANDOVER]);
    expect(state.rebuilds).toEqual([T0 + HANDOVER]);
  });

  it('treats an unanswered loss check as a loss', async () => {
    const { policy, state } = setup(async () => null);
    const elected = policy.elected();
    await jest.advanceTimersByTimeAsync(HANDOVER - 1);
    expect(state.connects).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    await elected;
    expect(state.connects).toEqual([T0 + HANDOVER]);
    // Unknown is not a loss to rebuild from.
    expect(state.rebuilds).toEqual([]);
  });

  it('leaves the rebuild to the leader and keeps it pending for the next election', async () => {
    const { policy, state } = setup();
    state.leader = false;
    const lost = policy.dataLost();
    await jest.advanceTimersByTimeAsync(HANDOVER);
    await lost;
    expect(state.rebuilds).toEqual([]);
    state.leader = true;
    await policy.elected();
    expect(state.rebuilds).toEqual([T0 + HANDOVER]);
    await policy.elected();
    expect(state.rebuilds).toHaveLength(1);
  });

  it('retries a failed rebuild at the next election', async () => {
    const { policy, state } = setup();
    state.failRebuild = true;
    const lost = policy.dataLost();
    await jest.advanceTimersByTimeAsync(HANDOVER);
    await lost;
    expect(state.rebuilds).toHaveLength(1);
    state.failRebuild = false;
    await policy.elected();
    expect(state.rebuilds).toHaveLength(2);
    await policy.elected();
    expect(state.rebuilds).toHaveLength(2);
  });

  it('neither connects nor rebuilds once stopping, and never connects after a fatal error', async () => {
    const { policy, state } = setup();
    state.fatal = true;
    await policy.elected();
    expect(state.connects).toEqual([]);
    state.fatal = false;
    state.stopping = true;
    const lost = policy.dataLost();
    await jest.advanceTimersByTimeAsync(HANDOVER);
    await lost;
    await policy.elected();
    expect(state.connects).toEqual([]);
    expect(state.rebuilds).toEqual([]);
  });
});
