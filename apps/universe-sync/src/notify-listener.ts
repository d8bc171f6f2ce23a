import {
  echoValue,
  parseStrategyId,
  reconnectDelayMs,
  sleep,
  type Logger,
} from '@tickpulse/shared';
import pg from 'pg';
import type { UniverseMetrics } from './metrics.js';

/** LISTENs for strategy changes and hands each id to `onStrategy`. */
export interface NotifyListener {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while the LISTEN connection is up. */
  isListening(): boolean;
}

/**
 * Creates the listener. It holds one dedicated connection (LISTEN state is
 * per session, so a pool cannot be used). When the connection drops —
 * PostgreSQL restarted, network cut — it reconnects with jittered backoff
 * (1–20 s) and then calls `onResync`, because notifications sent while it
 * was away are lost; the caller answers with a reconcile. Enqueue failures
 * are counted and also end in `onResync` once enqueueing works again.
 */
export function createNotifyListener(deps: {
  databaseUrl: string;
  channel: string;
  onStrategy: (strategyId: number) => Promise<unknown>;
  onResync: (why: string) => Promise<unknown>;
  metrics: UniverseMetrics;
  logger: Logger;
  /** Backoff between reconnects (attempt → ms); tests shorten it. */
  backoffMs?: (attempt: number) => number;
}): NotifyListener {
  const { metrics, logger, channel } = deps;
  const backoff = deps.backoffMs ?? reconnectDelayMs;
  let client: pg.Client | undefined;
  let stopped = false;
  let listening = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let missed = false;

  const handle = async (payload: string | undefined) => {
    const parsed = parseStrategyId(payload);
    if (!parsed.ok) {
      metrics.notifications.inc({ result: 'invalid' });
      logger.warn(
        { channel, payload: echoValue(payload ?? '', 40) },
        'ignored a notification that is not a strategy id',
      );
      return;
    }
    try {
      await deps.onStrategy(parsed.id);
      metrics.notifications.inc({ result: 'enqueued' });
      if (missed) {
        missed = false;
        await requestResync('enqueue failures earlier');
      }
    } catch (err) {
      missed = true;
      metrics.notifications.inc({ result: 'enqueue_failed' });
      logger.warn(
        { err, strategyId: parsed.id },
        'could not enqueue a notified strategy; a reconcile will cover it',
      );
    }
  };

  const requestResync = async (why: string) => {
    try {
      await deps.onResync(why);
    } catch (err) {
      missed = true;
      metrics.errors.inc({ where: 'listener_resync' });
      logger.warn(
        { err },
        'could not request a reconcile after missed notifications',
      );
    }
  };

  const connectOnce = async (): Promise<pg.Client> => {
    const c = new pg.Client({
      connectionString: deps.databaseUrl,
      application_name: 'tickpulse-universe-sync-listen',
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
    });
    c.on('error', err => {
      logger.warn({ err }, 'LISTEN connection failed');
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    c.on('notification', msg => {
      if (msg.channel === channel) void handle(msg.payload);
    });
    return c;
  };

  const run = async () => {
    let attempt = 0;
    let connectedBefore = false;
    while (!stopped) {
      try {
        client = await connectOnce();
      } catch (err) {
        attempt++;
        metrics.listenerConnects.inc({ result: 'failed' });
        const delay = backoff(attempt);
        logger.warn(
          { err, attempt, retryInMs: delay },
          'LISTEN connect failed',
        );
        await interruptibleSleep(delay);
        continue;
      }
      metrics.listenerConnects.inc({ result: 'ok' });
      listening = true;
      logger.info({ channel, attempt }, 'listening for strategy changes');
      if (connectedBefore) await requestResync('LISTEN reconnected');
      connectedBefore = true;
      attempt = 0;
      const c = client;
      await new Promise<void>(resolve => {
        c.once('end', () => resolve());
        c.once('error', () => resolve());
        wake = resolve;
      });
      listening = false;
      wake = undefined;
      await c.end().catch(() => undefined);
      if (!stopped) {
        attempt++;
        const delay = backoff(attempt);
        logger.warn(
          { retryInMs: delay },
          'LISTEN connection lost; reconnecting',
        );
        await interruptibleSleep(delay);
      }
    }
  };

  const interruptibleSleep = (ms: number) =>
    Promise.race([
      sleep(ms),
      new Promise<void>(resolve => {
        wake = resolve;
      }),
    ]).finally(() => {
      wake = undefined;
    });

  let stopping: Promise<void> | undefined;
  return {
    async start() {
      loop ??= run();
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        wake?.();
        await client?.end().catch(() => undefined);
        await loop;
      })();
      return stopping;
    },
    isListening: () => listening,
  };
}
