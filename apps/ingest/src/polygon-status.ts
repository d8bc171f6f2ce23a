import type { StatusEvent } from '@tickpulse/polygon';
import { isAuthFailureMessage } from './auth-failure.js';
import { PolygonAuthError } from './errors.js';

/** What one connection has seen of the handshake so far. */
export interface HandshakeState {
  /** The auth message went out (only on the first `connected`). */
  authSent: boolean;
  /** The subscription went out (only on the first `auth_success`). */
  subscribed: boolean;
  /** `success` acknowledgements received since the subscription went out. */
  acks: number;
}

/** A new connection's handshake state. */
export const HANDSHAKE_START: HandshakeState = {
  authSent: false,
  subscribed: false,
  acks: 0,
};

/** What the socket adapter does about one status event. */
export type StatusAction =
  /** Nothing (a repeated `connected`, an ack before the last). */
  | { kind: 'none' }
  /** Send the auth message. */
  | { kind: 'authenticate' }
  /** Authenticated: send the subscription. */
  | { kind: 'subscribe' }
  /** The last subscription was acknowledged: the stream is live. */
  | { kind: 'streaming' }
  /** The key or plan was refused; retrying cannot help. */
  | { kind: 'fatal'; error: PolygonAuthError }
  /** Another connection of the account took over: cut and cool down. */
  | { kind: 'max_connections' }
  /** Polygon gave up waiting for auth: close and reconnect. */
  | { kind: 'auth_timeout' }
  /** An `error` status that is not an auth failure: log, keep the connection. */
  | { kind: 'peer_error' }
  /** A status without a defined treatment: log it. */
  | { kind: 'unknown' };

/**
 * Decides what a Polygon status event means for one connection.
 *
 * @param state the handshake so far.
 * @param ev the status event.
 * @param subscriptions how many subscriptions were sent, i.e. the acks
 *   that make the stream live.
 * @returns the next handshake state and what the adapter must do.
 */
export function nextStatus(
  state: HandshakeState,
  ev: StatusEvent,
  subscriptions: number,
): { state: HandshakeState; action: StatusAction } {
  switch (ev.status) {
    case 'connected':
      return state.authSent
        ? { state, action: { kind: 'none' } }
        : {
            state: { ...state, authSent: true },
            action: { kind: 'authenticate' },
          };
    case 'auth_success':
      // A second one must not subscribe twice: the acks would never add up.
      return state.subscribed
        ? { state, action: { kind: 'none' } }
        : {
            state: { ...state, subscribed: true },
            action: { kind: 'subscribe' },
          };
    case 'success': {
      // An ack before the subscription acknowledges nothing of ours;
      // counting it would leave the stream one ack short of live forever.
      if (!state.subscribed) return { state, action: { kind: 'none' } };
      const acks = state.acks + 1;
      // Exactly at the last ack: a stray extra ack must not restart the stream.
      const live = acks === subscriptions;
      return {
        state: { ...state, acks },
        action: { kind: live ? 'streaming' : 'none' },
      };
    }
    case 'auth_failed':
      return { state, action: fatal(ev) };
    case 'error':
      return {
        state,
        action: isAuthFailureMessage(ev.message)
          ? fatal(ev)
          : { kind: 'peer_error' },
      };
    case 'max_connections':
      return { state, action: { kind: 'max_connections' } };
    case 'auth_timeout':
      return { state, action: { kind: 'auth_timeout' } };
    default:
      return { state, action: { kind: 'unknown' } };
  }
}

function fatal(ev: StatusEvent): StatusAction {
  return { kind: 'fatal', error: new PolygonAuthError(ev.status, ev.message) };
}

/** What the periodic check found on one connection. */
export type WatchdogVerdict =
  /** Not authenticated within `authTimeoutMs` of opening. */
  | { kind: 'auth_timeout' }
  /** Neither data nor a pong within `readTimeoutMs`. */
  | { kind: 'read_timeout'; silentMs: number }
  /** Streaming, in the data window, but no trade for `timeoutMs`. */
  | { kind: 'silent'; silentMs: number; timeoutMs: number }
  /** Time for a ping. */
  | { kind: 'ping' }
  | { kind: 'ok' };

/**
 * The connection's periodic check, first finding wins. All times Unix ms.
 *
 * @param c.silentStreak silent-feed reconnects in a row: the idle timeout
 *   doubles with each, up to 16×, so a market holiday costs a handful of
 *   reconnects, not one a minute.
 * @param c.inDataWindow asked only when everything else points to a silent
 *   feed.
 * @returns what to do about the connection.
 */
export function watchdog(
  now: number,
  c: {
    authenticated: boolean;
    streaming: boolean;
    open: boolean;
    openedAt: number;
    lastActivity: number;
    lastTrade: number;
    lastPing: number;
    silentStreak: number;
    inDataWindow: (now: number) => boolean;
  },
  t: {
    authTimeoutMs: number;
    readTimeoutMs: number;
    dataIdleTimeoutMs: number;
    pingIntervalMs: number;
  },
): WatchdogVerdict {
  if (!c.authenticated && now - c.openedAt > t.authTimeoutMs)
    return { kind: 'auth_timeout' };
  if (now - c.lastActivity > t.readTimeoutMs)
    return { kind: 'read_timeout', silentMs: now - c.lastActivity };
  const idleMs = t.dataIdleTimeoutMs * 2 ** Math.min(c.silentStreak, 4);
  if (
    c.streaming &&
    t.dataIdleTimeoutMs > 0 &&
    now - c.lastTrade > idleMs &&
    c.inDataWindow(now)
  )
    return { kind: 'silent', silentMs: now - c.lastTrade, timeoutMs: idleMs };
  if (c.open && now - c.lastPing >= t.pingIntervalMs) return { kind: 'ping' };
  return { kind: 'ok' };
}

/**
 * How often the check runs: often enough for the read deadline and the
 * ping interval (a quarter and a half of them), at most once a second and
 * at least every 20 ms.
 */
export function watchdogIntervalMs(t: {
  readTimeoutMs: number;
  pingIntervalMs: number;
}): number {
  return Math.max(
    20,
    Math.min(
      1000,
      Math.floor(t.readTimeoutMs / 4),
      Math.floor(t.pingIntervalMs / 2),
    ),
  );
}
