/**
 * The lease elector's decisions, pure: its timings, when a leader whose
 * stream is dead steps down, what a demotion reports, and which lease
 * errors mean this replica can never lead. `createLeaderElector` keeps the
 * state and the timers.
 */

/** Redis refusals that no retry can change: wrong server role, or ACL. */
const UNRECOVERABLE_LEASE_ERROR = /^(READONLY|NOPERM)\b/;

export interface LeaseTimings {
  /** A leader renews this often (and waits this long for a renew). */
  renewMs: number;
  /**
   * A leader's lease is valid locally this long after the last renew that
   * succeeded was sent: ¾ TTL, so it demotes before the lease can expire in
   * Redis and a standby take it.
   */
  validForMs: number;
}

export function leaseTimings(ttlMs: number): LeaseTimings {
  return {
    renewMs: Math.max(100, Math.floor(ttlMs / 3)),
    validForMs: Math.floor((ttlMs * 3) / 4),
  };
}

/** How long until the watchdog demotes a leader whose renew was sent at `sentAt`. */
export function watchdogDelay(
  sentAt: number,
  validForMs: number,
  now: number,
): number {
  return Math.max(0, sentAt + validForMs - now);
}

/** The pause before the next lease attempt. */
export function nextAttemptMs(
  leader: boolean,
  timings: LeaseTimings,
  pollMs: number,
): number {
  return leader ? timings.renewMs : pollMs;
}

export type StepDownVerdict =
  | { kind: 'live' }
  | { kind: 'wait'; downMs: number }
  | { kind: 'step-down'; downMs: number };

/**
 * A leader's stream, sampled right after a renew: live resets the clock
 * (`liveAt` is the election or the last live sample); down for `afterMs`
 * steps down. `afterMs` 0 is off and never asks.
 */
export function stepDownVerdict(
  afterMs: number,
  live: boolean,
  now: number,
  liveAt: number,
): StepDownVerdict {
  if (live) return { kind: 'live' };
  const downMs = now - liveAt;
  return downMs < afterMs
    ? { kind: 'wait', downMs }
    : { kind: 'step-down', downMs };
}

export type Transition = 'stepped_down' | 'released' | 'lost';

/**
 * What a demotion for `reason` counts as, and whether the elector closes the
 * connection itself: a step-down closes it in order (closed, then released),
 * so its caller does.
 */
export function demotion(reason: string): {
  transition: Transition;
  closeConnection: boolean;
} {
  if (reason === 'stepped_down')
    return { transition: 'stepped_down', closeConnection: false };
  if (reason === 'shutdown')
    return { transition: 'released', closeConnection: true };
  return { transition: 'lost', closeConnection: true };
}

/**
 * Why this replica can never lead after a failed lease operation: a standby
 * refused as read-only or without permission. A leader's failures, and any
 * other error, leave the current answer alone.
 */
export function cannotLeadAfter(
  message: string,
  leader: boolean,
  current: string | null,
): string | null {
  return !leader && UNRECOVERABLE_LEASE_ERROR.test(message) ? message : current;
}
