import { statusLabel, type StatusEvent } from '@tickpulse/polygon';
import { echoValue } from '@tickpulse/contracts';
import { logEvery, type Logger } from '@tickpulse/service-kit';
import type { WebSocket } from 'ws';
import type { ConnectionState, IngestMetrics } from './metrics.js';
import {
  closeSocket,
  openPolygonSocket,
  socketOpen,
} from './polygon-socket.js';
import {
  HANDSHAKE_START,
  type HandshakeState,
  nextStatus,
  type StatusAction,
  watchdog,
  watchdogIntervalMs,
  type WatchdogVerdict,
} from './polygon-status.js';
import { createReconnectLoop, type SessionResult } from './reconnect-loop.js';
import { sessionHealthy, type SessionOutcome } from './reconnect-policy.js';

/** Characters of a peer's string a log line keeps. */
const PEER_TEXT_CHARS = 200;

/** A string a peer sent, bounded for a log line. */
function peerText(text: unknown): unknown {
  if (typeof text !== 'string') return echoValue(text, PEER_TEXT_CHARS);
  return text.length <= PEER_TEXT_CHARS
    ? text
    : `${text.slice(0, PEER_TEXT_CHARS)}…(${text.length} chars)`;
}

/** Timings of the connection (all ms); see the README for the defaults. */
export interface ClientTimings {
  pingIntervalMs: number;
  readTimeoutMs: number;
  authTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  healthyAfterMs: number;
  maxConnectionsCooldownMs: number;
  /**
   * A subscribed connection that brings no trade for this long while
   * `inDataWindow` says the market trades is dropped and reconnected (0:
   * never). Doubles after each such reconnect in a row, up to 16×, so a
   * market holiday costs a handful of reconnects, not one a minute.
   */
  dataIdleTimeoutMs: number;
}

/** One connection's facts, shared by its handlers. */
interface Conn {
  ws: WebSocket;
  /** Why it ended; `closed` until something ends it. */
  outcome: SessionOutcome;
  error?: Error;
  handshake: HandshakeState;
  openedAt: number;
  authedAt: number;
  /** Last frame or pong. */
  lastActivity: number;
  /** Last trade, or the moment the subscription completed. */
  lastTrade: number;
  lastPing: number;
}

/** One Polygon connection with reconnects; started and stopped as leadership changes. */
export interface PolygonClient {
  /** Starts connecting (no-op when running). */
  start(): void;
  /** Closes the socket with 1000 and stops reconnecting; resolves when closed. */
  stop(): Promise<void>;
  readonly state: ConnectionState;
  /** True between `auth_success` and the end of that connection. */
  readonly authenticated: boolean;
  /**
   * True from a reconnect for a silent feed until a trade arrives again:
   * the stream may be up, but it is not doing its job.
   */
  readonly silent: boolean;
}

/** What the client is built from. */
export interface PolygonClientDeps {
  url: string;
  apiKey: string;
  subscriptions: string;
  /** Frames past this are refused by the parser; see `openPolygonSocket`. */
  maxFrameBytes: number;
  timings: ClientTimings;
  logger: Logger;
  metrics: IngestMetrics;
  /**
   * Handles one frame synchronously (parse, filter, coalesce) and returns
   * the status events it carried; the socket is never awaited on.
   */
  onFrame: (data: Buffer) => { statuses: StatusEvent[]; trades: number };
  /** Whether trades are expected now (see `dataIdleTimeoutMs`). */
  inDataWindow: (nowMs: number) => boolean;
  /** Called once when retrying cannot help (auth failure). */
  onFatal: (err: Error) => void;
  /** Every subscription acknowledged: the stream is live again (a gap, if any, ends here). */
  onStreaming?: () => void;
}

/**
 * Creates the connection manager: connect → wait for `connected` → auth →
 * subscribe, pings and a read deadline, jittered exponential backoff reset
 * only after a connection stayed authenticated `healthyAfterMs`, a long
 * cooldown after `max_connections`, and a fatal stop on auth failure.
 * The decisions are pure (`polygon-status.ts`, `reconnect-policy.ts`); the
 * link applies them to one socket at a time, the loop reconnects.
 */
export function createPolygonClient(deps: PolygonClientDeps): PolygonClient {
  const log = deps.logger.child({ component: 'polygon' });
  const state = createStateGauge(deps.metrics);
  const link = createPolygonLink(deps, log, state);
  const loop = createReconnectLoop({
    url: deps.url,
    session: link.session,
    closeCurrent: link.close,
    setState: state.set,
    timings: deps.timings,
    log,
    reconnects: deps.metrics.reconnects,
    onFatal: deps.onFatal,
  });
  return {
    start: loop.start,
    stop: loop.stop,
    get state() {
      return state.get();
    },
    get authenticated() {
      return link.authenticated;
    },
    get silent() {
      return link.silent;
    },
  };
}

/** The connection state, mirrored to its one-hot gauge. */
interface StateGauge {
  get(): ConnectionState;
  set(s: ConnectionState): void;
}

function createStateGauge(metrics: IngestMetrics): StateGauge {
  let state: ConnectionState = 'stopped';
  return {
    get: () => state,
    set(s: ConnectionState) {
      if (s === state) return;
      metrics.connectionState.set({ state }, 0);
      metrics.connectionState.set({ state: s }, 1);
      state = s;
    },
  };
}

/** What the effects of a status or a watchdog verdict act with. */
interface Effects {
  deps: PolygonClientDeps;
  log: Logger;
  params: string[];
  state: StateGauge;
  /** True between `auth_success` and the end of that connection. */
  authenticated: boolean;
  warnPeerError: ReturnType<typeof logEvery>;
  warnUnknownStatus: ReturnType<typeof logEvery>;
}

function createEffects(
  deps: PolygonClientDeps,
  log: Logger,
  state: StateGauge,
): Effects {
  return {
    deps,
    log,
    params: deps.subscriptions.split(','),
    state,
    authenticated: false,
    // A peer decides how many status events it sends and how long their
    // text is: one line per 10 s, each string cut short.
    warnPeerError: logEvery(10_000),
    warnUnknownStatus: logEvery(10_000),
  };
}

/**
 * One socket at a time: opens it, forwards its frames, applies the
 * handshake's and the watchdog's decisions, reports how it ended. Holds
 * what outlives a connection: `authenticated` (in `fx`), the silent streak.
 */
function createPolygonLink(
  deps: PolygonClientDeps,
  log: Logger,
  state: StateGauge,
) {
  const { timings } = deps;
  const fx = createEffects(deps, log, state);
  let current: WebSocket | undefined;
  /** Silent-feed reconnects in a row (reset by the first trade). */
  let silentStreak = 0;

  const checkConnection = (c: Conn) => {
    silentStreak = checkConnectionNow(fx, c, silentStreak);
  };
  const handleStatus = (c: Conn, ev: StatusEvent) => applyEvent(fx, c, ev);

  /**
   * One connection, from open to close. (The result type is spelled out so
   * the per-frame handler keeps its lines, indentation included, while it
   * is being optimised on another branch.)
   */
  const session = () =>
    new Promise<{ outcome: SessionOutcome; healthy: boolean; error?: Error }>(
      resolve => {
        const c = openConnection(deps, state.set);
        const { ws } = c;
        current = ws;
        const check = setInterval(
          () => checkConnection(c),
          watchdogIntervalMs(timings),
        );

        ws.on('message', (data: Buffer) => {
          c.lastActivity = Date.now();
          const { statuses, trades } = deps.onFrame(data);
          if (trades > 0) {
            c.lastTrade = c.lastActivity;
            if (silentStreak > 0) {
              log.info(
                { silentStreak },
                'trades arrive again after a silent feed',
              );
              silentStreak = 0;
            }
          }
          for (const ev of statuses) handleStatus(c, ev);
        });
        ws.on('pong', () => {
          c.lastActivity = Date.now();
        });
        ws.on('error', err => {
          log.warn({ err: { message: err.message } }, 'websocket error');
        });
        ws.on('close', (code, reason) => {
          clearInterval(check);
          const wasAuthed = fx.authenticated;
          fx.authenticated = false;
          if (current === ws) current = undefined;
          resolve(connectionClosed(fx, c, wasAuthed, code, reason));
        });
      },
    );

  return {
    session,
    close() {
      if (current) closeSocket(current, 1000, 'shutdown');
    },
    get authenticated() {
      return fx.authenticated;
    },
    get silent() {
      return silentStreak > 0;
    },
  };
}

/** Opens a socket and its fresh record; the times start before the socket exists. */
function openConnection(
  deps: PolygonClientDeps,
  setState: (s: ConnectionState) => void,
): Conn {
  const openedAt = Date.now();
  setState('connecting');
  const ws = openPolygonSocket(
    deps.url,
    deps.timings.authTimeoutMs,
    deps.maxFrameBytes,
  );
  return {
    ws,
    outcome: 'closed',
    handshake: HANDSHAKE_START,
    openedAt,
    authedAt: 0,
    lastActivity: openedAt,
    lastTrade: openedAt,
    lastPing: openedAt,
  };
}

/** Closes the connection and records why (the first reason wins). */
function endConnection(
  c: Conn,
  o: SessionOutcome,
  how: 'close' | 'terminate' = 'close',
): void {
  if (c.outcome === 'closed') c.outcome = o;
  if (how === 'terminate') c.ws.terminate();
  else closeSocket(c.ws, 1000, o);
}

/** Counts and logs a closed connection; its result for the reconnect loop. */
function connectionClosed(
  fx: Effects,
  c: Conn,
  wasAuthed: boolean,
  code: number,
  reason: Buffer,
): SessionResult {
  const healthy = sessionHealthy(
    wasAuthed,
    c.authedAt,
    Date.now(),
    fx.deps.timings.healthyAfterMs,
  );
  fx.deps.metrics.disconnects.inc({ reason: c.outcome });
  fx.log.info(
    {
      code,
      reason: reason.toString().slice(0, 200),
      outcome: c.outcome,
      healthy,
    },
    'connection closed',
  );
  return { outcome: c.outcome, healthy, error: c.error };
}

/**
 * The periodic check: asks the watchdog and applies its verdict.
 *
 * @returns the silent streak after it (one more after a silent feed).
 */
function checkConnectionNow(
  fx: Effects,
  c: Conn,
  silentStreak: number,
): number {
  const now = Date.now();
  const verdict = watchdog(
    now,
    {
      ...c,
      authenticated: fx.authenticated,
      streaming: fx.state.get() === 'streaming',
      open: socketOpen(c.ws),
      silentStreak,
      inDataWindow: fx.deps.inDataWindow,
    },
    fx.deps.timings,
  );
  const streak = verdict.kind === 'silent' ? silentStreak + 1 : silentStreak;
  applyVerdict(fx, c, verdict, now, streak);
  return streak;
}

/** Applies what a status event means (see `nextStatus`). */
function applyEvent(fx: Effects, c: Conn, ev: StatusEvent): void {
  fx.deps.metrics.statuses.inc({ status: statusLabel(ev.status) });
  const step = nextStatus(c.handshake, ev, fx.params.length);
  c.handshake = step.state;
  if (step.action.kind === 'subscribe') {
    fx.authenticated = true;
    c.authedAt = Date.now();
  }
  applyStatus(fx, c, ev, step.action);
}

/** Applies the watchdog's verdict to the connection. */
function applyVerdict(
  fx: Effects,
  c: Conn,
  verdict: WatchdogVerdict,
  now: number,
  silentStreak: number,
): void {
  const { log } = fx;
  switch (verdict.kind) {
    case 'auth_timeout':
      log.warn(
        { timeoutMs: fx.deps.timings.authTimeoutMs },
        'not authenticated in time, reconnecting',
      );
      endConnection(c, 'auth_timeout', 'terminate');
      return;
    case 'read_timeout':
      log.warn(
        { silentMs: verdict.silentMs },
        'no data and no pong within the read deadline, dropping the connection',
      );
      endConnection(c, 'read_timeout', 'terminate');
      return;
    case 'silent':
      fx.deps.metrics.silentFeeds.inc();
      log.warn(
        {
          silentMs: verdict.silentMs,
          timeoutMs: verdict.timeoutMs,
          silentStreak,
        },
        'subscribed but no trade within DATA_IDLE_TIMEOUT_MS while the market trades: the feed is silent although the connection answers pings; reconnecting',
      );
      endConnection(c, 'silent', 'terminate');
      return;
    case 'ping':
      c.lastPing = now;
      c.ws.ping();
      return;
    case 'ok':
      return;
  }
}

/** Applies a status action: the handshake's steps here, the peer's problems in `reportPeerStatus`. */
function applyStatus(
  fx: Effects,
  c: Conn,
  ev: StatusEvent,
  action: StatusAction,
): void {
  const { deps, log } = fx;
  switch (action.kind) {
    case 'none':
      return;
    case 'authenticate':
      fx.state.set('authenticating');
      c.ws.send(JSON.stringify({ action: 'auth', params: deps.apiKey }));
      return;
    case 'subscribe':
      fx.state.set('subscribing');
      c.ws.send(
        JSON.stringify({ action: 'subscribe', params: deps.subscriptions }),
      );
      log.info('authenticated, subscribing');
      return;
    case 'streaming':
      c.lastTrade = Date.now();
      fx.state.set('streaming');
      deps.onStreaming?.();
      log.info(
        {
          subscriptions:
            fx.params.length > 20 ? fx.params.length : deps.subscriptions,
        },
        'subscribed',
      );
      return;
    case 'fatal':
      c.error = action.error;
      endConnection(c, 'fatal');
      return;
    default:
      reportPeerStatus(fx, c, ev, action.kind);
  }
}

/** A status the peer sent about a problem: logged (rate-limited where the peer decides the rate), and acted on. */
function reportPeerStatus(
  fx: Effects,
  c: Conn,
  ev: StatusEvent,
  kind: 'peer_error' | 'max_connections' | 'auth_timeout' | 'unknown',
): void {
  const { log } = fx;
  switch (kind) {
    case 'peer_error':
      fx.warnPeerError(suppressed =>
        log.warn(
          { message: peerText(ev.message), suppressed },
          'Polygon reported an error',
        ),
      );
      return;
    case 'max_connections':
      fx.deps.metrics.maxConnections.inc();
      log.error(
        {
          message: peerText(ev.message),
          cooldownMs: fx.deps.timings.maxConnectionsCooldownMs,
        },
        'MAX_CONNECTIONS: another connection of this Polygon account took over; cooling down. ' +
          'Check for a second ingest deployment or another client using the same account.',
      );
      endConnection(c, 'max_connections', 'terminate');
      return;
    case 'auth_timeout':
      log.warn(
        { message: peerText(ev.message) },
        'Polygon timed out waiting for auth',
      );
      endConnection(c, 'auth_timeout');
      return;
    case 'unknown':
      fx.warnUnknownStatus(suppressed =>
        log.warn(
          {
            status: peerText(ev.status),
            message: peerText(ev.message),
            suppressed,
          },
          'unknown Polygon status',
        ),
      );
  }
}
