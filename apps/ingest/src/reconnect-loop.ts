import { redactUrl, type Logger } from '@tickpulse/service-kit';
import type { ConnectionState } from './metrics.js';
import { afterSession, type SessionEnd } from './reconnect-policy.js';

/** How a connection ended, with the error of a fatal end. */
export interface SessionResult extends SessionEnd {
  error?: Error;
}

/** Connects again and again until stopped or fatal. */
export interface ReconnectLoop {
  /** Starts the loop (no-op when running). */
  start(): void;
  /** Stops reconnecting, cuts a pause short, closes the current connection; resolves when the loop ended. */
  stop(): Promise<void>;
}

/** What the loop is built from. */
export interface ReconnectLoopDeps {
  url: string;
  /** One connection, from open to close. */
  session: () => Promise<SessionResult>;
  /** Closes the open connection, if any (on stop). */
  closeCurrent: () => void;
  setState: (s: ConnectionState) => void;
  timings: {
    reconnectMinMs: number;
    reconnectMaxMs: number;
    maxConnectionsCooldownMs: number;
  };
  log: Logger;
  reconnects: { inc(): void };
  onFatal: (err: Error) => void;
  /** The backoff's jitter source (tests pin it). */
  random?: () => number;
}

/**
 * The loop around connections: after each one it applies `afterSession`'s
 * decision (wait in backoff or cooldown, or stop for good on a fatal end).
 */
export function createReconnectLoop(deps: ReconnectLoopDeps): ReconnectLoop {
  const { log, setState } = deps;
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

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

  const run = async () => {
    let attempt = 0;
    let first = true;
    log.info({ url: redactUrl(deps.url) }, 'connecting to Polygon');
    while (running) {
      if (!first) deps.reconnects.inc();
      first = false;
      const end = await deps.session();
      const next = afterSession(attempt, end, deps.timings, deps.random);
      if (next.kind === 'fatal') {
        running = false;
        setState('stopped');
        deps.onFatal(end.error ?? new Error('fatal Polygon error'));
        return;
      }
      if (!running) break;
      attempt = next.attempt;
      setState(next.state);
      log.info(
        {
          delayMs: next.delayMs,
          outcome: end.outcome,
          attempt: next.step,
          healthy: end.healthy,
        },
        'reconnecting after delay',
      );
      await pause(next.delayMs);
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
      deps.closeCurrent();
      await loop;
    },
  };
}
