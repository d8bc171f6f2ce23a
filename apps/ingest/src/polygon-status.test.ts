import type { StatusEvent } from '@tickpulse/polygon';
import { PolygonAuthError } from './errors';
import {
  HANDSHAKE_START,
  type HandshakeState,
  nextStatus,
  type StatusAction,
  watchdog,
  watchdogIntervalMs,
} from './polygon-status';

const status = (s: string, message = ''): StatusEvent => ({
  ev: 'status',
  status: s,
  message,
});

/** Feeds events in order from a fresh connection; returns the action kinds. */
function run(events: StatusEvent[], subscriptions = 1) {
  let state: HandshakeState = HANDSHAKE_START;
  const actions: StatusAction[] = [];
  for (const ev of events) {
    const step = nextStatus(state, ev, subscriptions);
    state = step.state;
    actions.push(step.action);
  }
  return { kinds: actions.map(a => a.kind), actions, state };
}

describe('Polygon status handling', () => {
  it('authenticates on the first connected only, then subscribes', () => {
    const { kinds } = run([
      status('connected'),
      status('connected'),
      status('auth_success'),
    ]);
    expect(kinds).toEqual(['authenticate', 'none', 'subscribe']);
  });

  it('goes live at the last acknowledgement, and only then', () => {
    const { kinds, state } = run(
      [
        status('connected'),
        status('auth_success'),
        status('success'),
        status('success'),
        status('success'),
        status('success'),
      ],
      3,
    );
    expect(kinds.slice(2)).toEqual(['none', 'none', 'streaming', 'none']);
    expect(state.acks).toBe(4);
  });

  it('ignores a success before auth_success, and a repeated auth_success', () => {
    const { kinds, state } = run(
      [
        status('connected'),
        status('success'),
        status('auth_success'),
        status('auth_success'),
        status('success'),
        status('success'),
      ],
      2,
    );
    expect(kinds).toEqual([
      'authenticate',
      'none',
      'subscribe',
      'none',
      'none',
      'streaming',
    ]);
    expect(state.acks).toBe(2);
  });

  it('leaves the initial state untouched', () => {
    run([status('connected'), status('success')]);
    expect(HANDSHAKE_START).toEqual({
      authSent: false,
      subscribed: false,
      acks: 0,
    });
  });

  it('treats auth_failed as fatal, with what the server said', () => {
    const { actions } = run([status('auth_failed', 'authentication failed')]);
    const a = actions[0]!;
    expect(a.kind).toBe('fatal');
    if (a.kind !== 'fatal') throw new Error('unreachable');
    expect(a.error).toBeInstanceOf(PolygonAuthError);
    expect(a.error.status).toBe('auth_failed');
    expect(a.error.serverMessage).toBe('authentication failed');
  });

  it('treats only an auth-failure error message as fatal', () => {
    const { kinds } = run([
      status('error', 'not authorized to access T.*'),
      status('error', 'Upstream re-authentication in progress'),
    ]);
    expect(kinds).toEqual(['fatal', 'peer_error']);
  });

  it('maps max_connections, auth_timeout and unknown statuses', () => {
    const { kinds } = run([
      status('max_connections'),
      status('auth_timeout'),
      status('resubscribing'),
    ]);
    expect(kinds).toEqual(['max_connections', 'auth_timeout', 'unknown']);
  });
});

describe('connection watchdog', () => {
  const T0 = 1_752_586_200_000;
  const timings = {
    authTimeoutMs: 5000,
    readTimeoutMs: 10_000,
    dataIdleTimeoutMs: 60_000,
    pingIntervalMs: 3000,
  };
  const windowAsked: number[] = [];
  /** A streaming, open connection that just heard everything. */
  const live = {
    authenticated: true,
    streaming: true,
    open: true,
    openedAt: T0,
    lastActivity: T0,
    lastTrade: T0,
    lastPing: T0,
    silentStreak: 0,
    inDataWindow: (now: number) => {
      windowAsked.push(now);
      return true;
    },
  };
  beforeEach(() => (windowAsked.length = 0));

  it('lets a fresh connection be', () => {
    expect(watchdog(T0 + 1000, live, timings)).toEqual({ kind: 'ok' });
  });

  it('gives up on authentication only after the auth timeout', () => {
    const c = { ...live, authenticated: false, streaming: false };
    expect(watchdog(T0 + 5000, c, timings).kind).toBe('ping');
    expect(watchdog(T0 + 5001, c, timings)).toEqual({ kind: 'auth_timeout' });
  });

  it('drops a connection that brings neither data nor a pong within the read deadline', () => {
    const c = { ...live, lastPing: T0 + 9000 };
    expect(watchdog(T0 + 10_000, c, timings)).toEqual({ kind: 'ok' });
    expect(watchdog(T0 + 10_001, c, timings)).toEqual({
      kind: 'read_timeout',
      silentMs: 10_001,
    });
  });

  it('calls a streaming feed silent after the idle timeout, doubled per silent reconnect up to 16×', () => {
    const at = (ms: number, silentStreak: number) =>
      watchdog(
        T0 + ms,
        { ...live, lastActivity: T0 + ms, lastPing: T0 + ms, silentStreak },
        timings,
      );
    expect(at(60_000, 0).kind).toBe('ok');
    expect(at(60_001, 0)).toEqual({
      kind: 'silent',
      silentMs: 60_001,
      timeoutMs: 60_000,
    });
    expect(at(120_001, 1).kind).toBe('silent');
    expect(at(120_000, 1).kind).toBe('ok');
    expect(at(960_001, 9)).toMatchObject({ timeoutMs: 960_000 });
  });

  it('never calls a feed silent outside the data window, while subscribing, or with the timeout off', () => {
    const quiet = { ...live, lastActivity: T0 + 70_000, lastPing: T0 + 70_000 };
    const now = T0 + 70_000;
    expect(
      watchdog(now, { ...quiet, inDataWindow: () => false }, timings).kind,
    ).toBe('ok');
    expect(watchdog(now, { ...quiet, streaming: false }, timings).kind).toBe(
      'ok',
    );
    expect(
      watchdog(now, quiet, { ...timings, dataIdleTimeoutMs: 0 }).kind,
    ).toBe('ok');
  });

  it('asks the data window only when the feed would otherwise be silent', () => {
    watchdog(T0 + 1000, live, timings);
    expect(windowAsked).toEqual([]);
  });

  it('pings at the interval, and only an open socket', () => {
    expect(watchdog(T0 + 2999, live, timings).kind).toBe('ok');
    expect(watchdog(T0 + 3000, live, timings)).toEqual({ kind: 'ping' });
    expect(watchdog(T0 + 3000, { ...live, open: false }, timings).kind).toBe(
      'ok',
    );
  });

  it('checks at a quarter of the read deadline or half the ping interval, within 20 ms to 1 s', () => {
    expect(
      watchdogIntervalMs({ readTimeoutMs: 2000, pingIntervalMs: 3000 }),
    ).toBe(500);
    expect(
      watchdogIntervalMs({ readTimeoutMs: 20_000, pingIntervalMs: 600 }),
    ).toBe(300);
    expect(
      watchdogIntervalMs({ readTimeoutMs: 60_000, pingIntervalMs: 30_000 }),
    ).toBe(1000);
    expect(watchdogIntervalMs({ readTimeoutMs: 40, pingIntervalMs: 30 })).toBe(
      20,
    );
  });
});
