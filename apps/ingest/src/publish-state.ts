import { backoffDelay } from './backoff.js';

/**
 * The publisher's decisions, pure: when to try again after a failure, and
 * the spells it holds back at the queue's cap. `createTickPublisher` keeps
 * one of these and does the I/O, metrics and logging.
 */
export interface PublishState {
  /** Failures since the last success: the back-off's exponent. */
  consecutiveFailures: number;
  /** Failures since the last 'publishing recovered' line. */
  failuresSinceLog: number;
  /** No unforced publish before this (Unix ms); 0: any time. */
  retryAt: number;
  /** When the current hold-back spell began (Unix ms); 0: not held back. */
  heldSince: number;
  /** Flushes held back in the current spell. */
  heldChecks: number;
}

export const INITIAL_PUBLISH_STATE: PublishState = {
  consecutiveFailures: 0,
  failuresSinceLog: 0,
  retryAt: 0,
  heldSince: 0,
  heldChecks: 0,
};

/** Longest pause between publish attempts while Redis is failing. */
export const MAX_RETRY_DELAY_MS = 2000;
/** Longest pause between a draining shutdown's attempts. */
export const DRAIN_RETRY_MS = 250;

/** What `flush` does now. */
export type FlushGate = 'nothing-pending' | 'backing-off' | 'publish';

export function flushGate(
  s: PublishState,
  pending: number,
  force: boolean,
  now: number,
): FlushGate {
  if (pending === 0) return 'nothing-pending';
  if (!force && now < s.retryAt) return 'backing-off';
  return 'publish';
}

/**
 * A failed publish (or queue-length read): back off exponentially from the
 * flush interval up to `MAX_RETRY_DELAY_MS`.
 */
export function afterFailure(
  s: PublishState,
  now: number,
  intervalMs: number,
  random?: () => number,
): PublishState {
  const delay = backoffDelay(
    s.consecutiveFailures,
    intervalMs,
    MAX_RETRY_DELAY_MS,
    random,
  );
  return {
    ...s,
    consecutiveFailures: s.consecutiveFailures + 1,
    failuresSinceLog: s.failuresSinceLog + 1,
    retryAt: now + delay,
  };
}

/** A flush that found the queue at its cap; `started` opens a spell. */
export function afterHeldBack(
  s: PublishState,
  now: number,
): { state: PublishState; started: boolean } {
  const started = s.heldSince === 0;
  return {
    state: {
      ...s,
      heldSince: started ? now : s.heldSince,
      heldChecks: s.heldChecks + 1,
    },
    started,
  };
}

/**
 * A batch on the queue: back-off and any hold-back spell end. Says what to
 * report: the failures since the last 'recovered' line (0: none), and the
 * spell that ended (null: none).
 */
export function afterPublished(
  s: PublishState,
  now: number,
): {
  state: PublishState;
  recoveredFrom: number;
  released: { heldForMs: number; heldChecks: number } | null;
} {
  return {
    state: INITIAL_PUBLISH_STATE,
    recoveredFrom: s.failuresSinceLog,
    released:
      s.heldSince === 0
        ? null
        : { heldForMs: now - s.heldSince, heldChecks: s.heldChecks },
  };
}

/** The pause before a draining shutdown's next attempt, within its deadline. */
export function drainPause(until: number, now: number): number {
  return Math.min(DRAIN_RETRY_MS, Math.max(0, until - now));
}
