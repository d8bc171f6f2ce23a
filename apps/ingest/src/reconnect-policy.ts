import { backoffDelay } from './backoff.js';

/** Why a connection ended. */
export type SessionOutcome =
  | 'closed'
  | 'max_connections'
  | 'auth_timeout'
  | 'read_timeout'
  | 'silent'
  | 'fatal'
  | 'stopped';

/** How one connection ended, as the reconnect decision needs it. */
export interface SessionEnd {
  outcome: SessionOutcome;
  /** It stayed authenticated for `healthyAfterMs`: the backoff starts over. */
  healthy: boolean;
}

/** What to do after a connection ended. */
export type ReconnectDecision =
  /** Retrying cannot help (auth failure): stop for good. */
  | { kind: 'fatal' }
  /** Wait `delayMs` in `state`, then connect again. */
  | {
      kind: 'retry';
      state: 'backoff' | 'cooldown';
      delayMs: number;
      /** The backoff step this delay used (0 after a healthy connection). */
      step: number;
      /** The attempt counter for the next decision. */
      attempt: number;
    };

/**
 * Decides the pause before the next connection: jittered exponential
 * backoff, reset only by a healthy connection, and a fixed long cooldown
 * after `max_connections` (another client of the account took over; the
 * backoff step is kept for the connection after it).
 *
 * @param attempt backoff attempts so far (from the previous decision; 0 at first).
 */
export function afterSession(
  attempt: number,
  end: SessionEnd,
  t: {
    reconnectMinMs: number;
    reconnectMaxMs: number;
    maxConnectionsCooldownMs: number;
  },
  random: () => number = Math.random,
): ReconnectDecision {
  if (end.outcome === 'fatal') return { kind: 'fatal' };
  const step = end.healthy ? 0 : attempt;
  if (end.outcome === 'max_connections')
    return {
      kind: 'retry',
      state: 'cooldown',
      delayMs: t.maxConnectionsCooldownMs,
      step,
      attempt: step,
    };
  return {
    kind: 'retry',
    state: 'backoff',
    delayMs: backoffDelay(step, t.reconnectMinMs, t.reconnectMaxMs, random),
    step,
    attempt: step + 1,
  };
}

/**
 * Whether a connection counts as healthy when it closes: it was
 * authenticated and stayed so for `healthyAfterMs` (Unix ms).
 */
export function sessionHealthy(
  wasAuthenticated: boolean,
  authedAt: number,
  closedAt: number,
  healthyAfterMs: number,
): boolean {
  return wasAuthenticated && closedAt - authedAt >= healthyAfterMs;
}
