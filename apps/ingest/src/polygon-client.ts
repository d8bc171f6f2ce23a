import { statusLabel, type StatusEvent } from '@tickpulse/polygon';
import { echoValue, logEvery, redactUrl, type Logger } from '@tickpulse/shared';
import { WebSocket } from 'ws';
import { backoffDelay } from './backoff.js';
import type { ConnectionState, IngestMetrics } from './metrics.js';
import {
  HANDSHAKE_START,
  type HandshakeState,
  nextStatus,
  watchdog,
  watchdogIntervalMs,
} from './polygon-status.js';

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

/** Why a connection ended. */
type Outcome =
  | 'closed'
  | 'max_connections'
  | 'auth_timeout'
  | 'read_timeout'
  | 'silent'
  | 'fatal'
  | 'stopped';

/** One connection's facts, shared by its handlers. */
interface Conn {
  ws: WebSocket;
  /** Why it ended; `closed` until something ends it. */
  outcome: Outcome;
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

/**
 * Creates the connection manager: connect → wait for `connected` → auth →
 * subscribe, pings and a read deadline, jittered exponential backoff reset
 * only after a connection stayed authenticated `healthyAfterMs`, a long
 * cooldown after `max_connections`, and a fatal stop on auth failure.
 *
 * @param onFrame handles one frame synchronously (parse, filter, coalesce)
 *   and returns the status events it carried; the socket is never awaited on.
 * @param onFatal called once when retrying cannot help (auth failure).
 */
export function createPolygonClient(deps: {
  url: string;
  apiKey: string;
  subscriptions: string;
  /** Frames past this are refused by the parser; see `maxPayload` below. */
  maxFrameBytes: number;
  timings: ClientTimings;
  logger: Logger;
  metrics: IngestMetrics;
  onFrame: (data: Buffer) => { statuses: StatusEvent[]; trades: number };
  /** Whether trades are expected now (see `dataIdleTimeoutMs`). */
  inDataWindow: (nowMs: number) => boolean;
  onFatal: (err: Error) => void;
  /** Every subscription acknowledged: the stream is live again (a gap, if any, ends here). */
  onStreaming?: () => void;
}): PolygonClient {
  const { timings, metrics } = deps;
  const log = deps.logger.child({ component: 'polygon' });
  // A peer decides how many status events it sends and how long their
  // text is: one line per 10 s, each string cut short.
  const warnPeerError = logEvery(10_000);
  const warnUnknownStatus = logEvery(10_000);
  const params = deps.subscriptions.split(',');
  let state: ConnectionState = 'stopped';
  let authenticated = false;
  let running = false;
  let loop: Promise<void> | undefined;
  let current: WebSocket | undefined;
  let wake: (() => void) | undefined;
  /** Silent-feed reconnects in a row (reset by the first trade). */
  let silentStreak = 0;

  const setState = (s: ConnectionState) => {
    if (s === state) return;
    metrics.connectionState.set({ state }, 0);
    metrics.connectionState.set({ state: s }, 1);
    state = s;
  };

  const pause = (ms: number) =>
    new Promise<void>(resolve => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  /** Closes the connection and records why (the first reason wins). */
  const end = (c: Conn, o: Outcome, how: 'close' | 'terminate' = 'close') => {
    if (c.outcome === 'closed') c.outcome = o;
    if (how === 'terminate') c.ws.terminate();
    else closeSocket(c.ws, 1000, o);
  };

  /** The periodic check: applies the watchdog's verdict. */
  const checkConnection = (c: Conn) => {
    const now = Date.now();
    const verdict = watchdog(
      now,
      {
        authenticated,
        streaming: state === 'streaming',
        open: c.ws.readyState === WebSocket.OPEN,
        openedAt: c.openedAt,
        lastActivity: c.lastActivity,
        lastTrade: c.lastTrade,
        lastPing: c.lastPing,
        silentStreak,
        inDataWindow: deps.inDataWindow,
      },
      timings,
    );
    switch (verdict.kind) {
      case 'auth_timeout':
        log.warn(
          { timeoutMs: timings.authTimeoutMs },
          'not authenticated in time, reconnecting',
        );
        end(c, 'auth_timeout', 'terminate');
        return;
      case 'read_timeout':
        log.warn(
          { silentMs: verdict.silentMs },
          'no data and no pong within the read deadline, dropping the connection',
        );
        end(c, 'read_timeout', 'terminate');
        return;
      case 'silent':
        silentStreak++;
        metrics.silentFeeds.inc();
        log.warn(
          {
            silentMs: verdict.silentMs,
            timeoutMs: verdict.timeoutMs,
            silentStreak,
          },
          'subscribed but no trade within DATA_IDLE_TIMEOUT_MS while the market trades: the feed is silent although the connection answers pings; reconnecting',
        );
        end(c, 'silent', 'terminate');
        return;
      case 'ping':
        c.lastPing = now;
        c.ws.ping();
        return;
      case 'ok':
        return;
    }
  };

  /** Applies what a status event means (see `nextStatus`). */
  const handleStatus = (c: Conn, ev: StatusEvent) => {
    metrics.statuses.inc({ status: statusLabel(ev.status) });
    const step = nextStatus(c.handshake, ev, params.length);
    c.handshake = step.state;
    const action = step.action;
    switch (action.kind) {
      case 'none':
        return;
      case 'authenticate':
        setState('authenticating');
        c.ws.send(JSON.stringify({ action: 'auth', params: deps.apiKey }));
        return;
      case 'subscribe':
        authenticated = true;
        c.authedAt = Date.now();
        setState('subscribing');
        c.ws.send(
          JSON.stringify({
            action: 'subscribe',
            params: deps.subscriptions,
          }),
        );
        log.info('authenticated, subscribing');
        return;
      case 'streaming':
        c.lastTrade = Date.now();
        setState('streaming');
        deps.onStreaming?.();
        log.info(
          {
            subscriptions:
              params.length > 20 ? params.length : deps.subscriptions,
          },
          'subscribed',
        );
        return;
      case 'fatal':
        c.error = action.error;
        end(c, 'fatal');
        return;
      case 'peer_error':
        warnPeerError(suppressed =>
          log.warn(
            { message: peerText(ev.message), suppressed },
            'Polygon reported an error',
          ),
        );
        return;
      case 'max_connections':
        metrics.maxConnections.inc();
        log.error(
          {
            message: peerText(ev.message),
            cooldownMs: timings.maxConnectionsCooldownMs,
          },
          'MAX_CONNECTIONS: another connection of this Polygon account took over; cooling down. ' +
            'Check for a second ingest deployment or another client using the same account.',
        );
        end(c, 'max_connections', 'terminate');
        return;
      case 'auth_timeout':
        log.warn(
          { message: peerText(ev.message) },
          'Polygon timed out waiting for auth',
        );
        end(c, 'auth_timeout');
        return;
      case 'unknown':
        warnUnknownStatus(suppressed =>
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
  };

  /** One connection, from open to close. */
  const session = () =>
    new Promise<{ outcome: Outcome; healthy: boolean; error?: Error }>(
      resolve => {
        const openedAt = Date.now();
        setState('connecting');
        const ws = new WebSocket(deps.url, {
          perMessageDeflate: false,
          // The parser reads bytes and accepts only ASCII tickers; its
          // JSON.parse fallback decodes with replacement characters. A
          // second full pass over every frame to validate UTF-8 buys nothing.
          skipUTF8Validation: true,
          handshakeTimeout: timings.authTimeoutMs,
          // The parser drops a frame past maxFrameBytes and the stream goes
          // on. ws's own limit (100 MiB by default) only stops a frame so
          // large that buffering it is the harm: ws then closes with 1009.
          maxPayload: 4 * deps.maxFrameBytes,
        });
        const c: Conn = {
          ws,
          outcome: 'closed',
          handshake: HANDSHAKE_START,
          openedAt,
          authedAt: 0,
          lastActivity: openedAt,
          lastTrade: openedAt,
          lastPing: openedAt,
        };
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
          const wasAuthed = authenticated;
          authenticated = false;
          if (current === ws) current = undefined;
          const healthy =
            wasAuthed && Date.now() - c.authedAt >= timings.healthyAfterMs;
          metrics.disconnects.inc({ reason: c.outcome });
          log.info(
            {
              code,
              reason: reason.toString().slice(0, 200),
              outcome: c.outcome,
              healthy,
            },
            'connection closed',
          );
          resolve({ outcome: c.outcome, healthy, error: c.error });
        });
      },
    );

  const run = async () => {
    let attempt = 0;
    let first = true;
    log.info({ url: redactUrl(deps.url) }, 'connecting to Polygon');
    while (running) {
      if (!first) metrics.reconnects.inc();
      first = false;
      const { outcome, healthy, error } = await session();
      if (outcome === 'fatal') {
        running = false;
        setState('stopped');
        deps.onFatal(error ?? new Error('fatal Polygon error'));
        return;
      }
      if (!running) break;
      if (healthy) attempt = 0;
      let delay: number;
      // The backoff step this delay used (0 after a healthy connection).
      const step = attempt;
      if (outcome === 'max_connections') {
        setState('cooldown');
        delay = timings.maxConnectionsCooldownMs;
      } else {
        setState('backoff');
        delay = backoffDelay(
          attempt++,
          timings.reconnectMinMs,
          timings.reconnectMaxMs,
        );
      }
      log.info(
        { delayMs: delay, outcome, attempt: step, healthy },
        'reconnecting after delay',
      );
      await pause(delay);
    }
    setState('stopped');
  };

  return {
    start() {
      if (running) return;
      running = true;
      loop = run().catch(err => {
        log.error({ err }, 'connection loop failed');
        running = false;
        setState('stopped');
      });
    },
    async stop() {
      running = false;
      wake?.();
      if (current) closeSocket(current, 1000, 'shutdown');
      await loop;
    },
    get state() {
      return state;
    },
    get authenticated() {
      return authenticated;
    },
    get silent() {
      return silentStreak > 0;
    },
  };
}

/** Close with a code; a peer that does not answer the close frame is cut after 1 s. */
function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === WebSocket.CLOSED) return;
  if (ws.readyState === WebSocket.CONNECTING) {
    ws.terminate();
    return;
  }
  try {
    ws.close(code, reason.slice(0, 100));
  } catch {
    ws.terminate();
    return;
  }
  setTimeout(() => ws.terminate(), 1000).unref();
}
