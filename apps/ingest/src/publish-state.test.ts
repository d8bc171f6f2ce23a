import {
  afterFailure,
  afterHeldBack,
  afterPublished,
  drainPause,
  flushGate,
  INITIAL_PUBLISH_STATE,
  MAX_RETRY_DELAY_MS,
} from './publish-state';

const T0 = 1_752_586_200_000;
const noJitter = () => 0.5;

describe('publish state', () => {
  it('publishes only when something is pending and no back-off runs', () => {
    const s = INITIAL_PUBLISH_STATE;
    expect(flushGate(s, 0, false, T0)).toBe('nothing-pending');
    expect(flushGate(s, 0, true, T0)).toBe('nothing-pending');
    expect(flushGate(s, 3, false, T0)).toBe('publish');
  });

  it('backs off exponentially from the interval up to the maximum after failures', () => {
    let s = INITIAL_PUBLISH_STATE;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      s = afterFailure(s, T0, 50, noJitter);
      delays.push(s.retryAt - T0);
    }
    expect(delays).toEqual([50, 100, 200, 400, 800, 1600, 2000, 2000]);
    expect(delays.at(-1)).toBe(MAX_RETRY_DELAY_MS);
    expect(s.failuresSinceLog).toBe(8);
    expect(flushGate(s, 1, false, s.retryAt - 1)).toBe('backing-off');
    expect(flushGate(s, 1, false, s.retryAt)).toBe('publish');
    // A shutdown drain keeps its own schedule.
    expect(flushGate(s, 1, true, T0)).toBe('publish');
  });

  it('reports the failures it recovered from once, and starts over', () => {
    const failed = afterFailure(
      afterFailure(INITIAL_PUBLISH_STATE, T0, 50, noJitter),
      T0 + 60,
      50,
      noJitter,
    );
    const ok = afterPublished(failed, T0 + 200);
    expect(ok.recoveredFrom).toBe(2);
    expect(ok.released).toBeNull();
    expect(ok.state).toEqual(INITIAL_PUBLISH_STATE);
    expect(afterPublished(ok.state, T0 + 300).recoveredFrom).toBe(0);
    // The back-off starts again from the interval.
    expect(afterFailure(ok.state, T0, 50, noJitter).retryAt).toBe(T0 + 50);
  });

  it('opens a hold-back spell once and closes it on the next publish', () => {
    const first = afterHeldBack(INITIAL_PUBLISH_STATE, T0);
    expect(first.started).toBe(true);
    const second = afterHeldBack(first.state, T0 + 1000);
    expect(second.started).toBe(false);
    expect(second.state).toMatchObject({ heldSince: T0, heldChecks: 2 });
    const ok = afterPublished(second.state, T0 + 2500);
    expect(ok.released).toEqual({ heldForMs: 2500, heldChecks: 2 });
    expect(ok.state.heldSince).toBe(0);
    expect(afterHeldBack(ok.state, T0 + 3000).started).toBe(true);
  });

  it('holding back does not touch the failure back-off', () => {
    const failed = afterFailure(INITIAL_PUBLISH_STATE, T0, 50, noJitter);
    const held = afterHeldBack(failed, T0 + 10).state;
    expect(held.retryAt).toBe(failed.retryAt);
    expect(held.consecutiveFailures).toBe(1);
  });

  it('pauses a drain at most 250 ms and never past its deadline', () => {
    expect(drainPause(T0 + 10_000, T0)).toBe(250);
    expect(drainPause(T0 + 100, T0)).toBe(100);
    expect(drainPause(T0, T0 + 5)).toBe(0);
  });
});
