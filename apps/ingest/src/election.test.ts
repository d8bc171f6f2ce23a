import {
  cannotLeadAfter,
  demotion,
  leaseTimings,
  nextAttemptMs,
  stepDownVerdict,
  watchdogDelay,
} from './election';

describe('election rules', () => {
  it('renews every third of the TTL (at least 100 ms) and trusts ¾ of it', () => {
    expect(leaseTimings(4000)).toEqual({ renewMs: 1333, validForMs: 3000 });
    expect(leaseTimings(150)).toEqual({ renewMs: 100, validForMs: 112 });
  });

  it('leaders renew on their schedule, standbys poll on theirs', () => {
    const t = leaseTimings(3000);
    expect(nextAttemptMs(true, t, 700)).toBe(1000);
    expect(nextAttemptMs(false, t, 700)).toBe(700);
  });

  it('the watchdog counts from when the renew was sent, never below 0', () => {
    expect(watchdogDelay(10_000, 3000, 10_400)).toBe(2600);
    expect(watchdogDelay(10_000, 3000, 14_000)).toBe(0);
  });

  it('steps down once the stream has been down for afterMs, not before', () => {
    expect(stepDownVerdict(2500, true, 9000, 0)).toEqual({ kind: 'live' });
    expect(stepDownVerdict(2500, false, 3499, 1000)).toEqual({
      kind: 'wait',
      downMs: 2499,
    });
    expect(stepDownVerdict(2500, false, 3500, 1000)).toEqual({
      kind: 'step-down',
      downMs: 2500,
    });
  });

  it('counts each demotion and leaves a step-down close to its caller', () => {
    expect(demotion('stepped_down')).toEqual({
      transition: 'stepped_down',
      closeConnection: false,
    });
    expect(demotion('shutdown')).toEqual({
      transition: 'released',
      closeConnection: true,
    });
    expect(demotion('lease taken or expired')).toEqual({
      transition: 'lost',
      closeConnection: true,
    });
  });

  it('only a standby refused as read-only or without permission can never lead', () => {
    const ro = "READONLY You can't write against a read only replica.";
    const noperm =
      'NOPERM User ingest has no permissions to run the set command';
    expect(cannotLeadAfter(ro, false, null)).toBe(ro);
    expect(cannotLeadAfter(noperm, false, null)).toBe(noperm);
    expect(cannotLeadAfter(ro, true, null)).toBeNull();
    expect(cannotLeadAfter('Connection is closed.', false, ro)).toBe(ro);
    expect(cannotLeadAfter('Connection is closed.', false, null)).toBeNull();
    // The code must start the message, as Redis sends it.
    expect(cannotLeadAfter(`ERR ${ro}`, false, null)).toBeNull();
  });
});
