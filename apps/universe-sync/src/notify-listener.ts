import { echoValue, parseStrategyId } from '@tickpulse/contracts';
import { reconnectDelayMs } from '@tickpulse/redis';
import { logEvery, sleep, type Logger } from '@tickpulse/service-kit';
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
 *
 * Any role may NOTIFY any channel, so a notification is a hint, never
 * trusted work: ids wait in a set (a repeated id collapses), one enqueue at
 * a time, and past `maxPending` waiting ids the set is dropped for one
 * reconcile, which reads every strategy anyway. 100 000 notified ids made
 * 99 977 jobs before; now they make at most `maxPending` jobs and one
 * reconcile, and a real edit waits behind at most `maxPending` enqueues.
 * Invalid payloads and floods are logged at most once per 10 s each.
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
  /** Most notified ids waiting to be enqueued; past it, one reconcile instead. */
  maxPending: number;
}): NotifyListener {
  const { metrics, logger, channel } = deps;
  const backoff = deps.backoffMs ?? reconnectDelayMs;
  let client: pg.Client | undefined;
  let stopped = false;
  let listening = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let missed = false;
  /** Notified ids not enqueued yet, oldest first. */
  const pending = new Set<number>();
  /** A flood overflowed `pending`: one reconcile replaces what was in it. */
  let floodResync = false;
  /** Ids given up to a reconcile since the last flood line, and a few of them. */
  let dropped = 0;
  let droppedSample: number[] = [];
  let draining: Promise<void> | undefined;
  const warnInvalid = logEvery(10_000);
  const warnFlood = logEvery(10_000);
  const warnEnqueue = logEvery(10_000);

  const handle = (payload: string | undefined) => {
    const parsed = parseStrategyId(payload);
    if (!parsed.ok) {
      metrics.notifications.inc({ result: 'invalid' });
      warnInvalid(suppressed =>
        logger.warn(
          { channel, payload: echoValue(payload ?? '', 40), suppressed },
          'ignored a notification that is not a strategy id (logged at most every 10 s)',
        ),
      );
      return;
    }
    // Already waiting, or covered by the flood's reconcile: its job is not
    // added yet, so it reads every row after this notification's commit.
    if (pending.has(parsed.id) || floodResync) {
      metrics.notifications.inc({ result: 'coalesced' });
      return;
    }
    if (pending.size >= deps.maxPending) {
      overflow(parsed.id);
      return;
    }
    pending.add(parsed.id);
    kick();
  };

  const overflow = (id: number) => {
    const n = pending.size + 1;
    metrics.notifications.inc({ result: 'reconcile' }, n);
    dropped += n;
    if (droppedSample.length < 5) {
      for (const d of pending) {
        if (droppedSample.length >= 5) break;
        droppedSample.push(d);
      }
    }
    pending.clear();
    floodResync = true;
    const logged = warnFlood(suppressed =>
      logger.warn(
        {
          channel,
          maxPending: deps.maxPending,
          dropped,
          droppedSample,
          lastId: id,
          suppressed,
        },
        'notification flood: more strategy ids waiting than NOTIFY_MAX_PENDING; dropped them for one reconcile (logged at most every 10 s)',
      ),
    );
    if (logged) {
      dropped = 0;
      droppedSample = [];
    }
    kick();
  };

  const enqueue = async (id: number) => {
    try {
      await deps.onStrategy(id);
      metrics.notifications.inc({ result: 'enqueued' });
      if (missed) {
        missed = false;
        await requestResync('enqueue failures earlier');
      }
    } catch (err) {
      missed = true;
      metrics.notifications.inc({ result: 'enqueue_failed' });
      warnEnqueue(suppressed =>
        logger.warn(
          { err, strategyId: id, suppressed },
          'could not enqueue a notified strategy; a reconcile will cover it (logged at most every 10 s)',
        ),
      );
    }
  };

  // One enqueue in flight: a flood cannot pile up Redis requests (or
  // memory) faster than Redis answers them.
  const drain = async () => {
    while (!stopped) {
      if (floodResync) {
        // Cleared before the add: a reconcile already running could have
        // read a row before a notification that arrives during the add.
        floodResync = false;
        await requestResync(
          `more than ${deps.maxPending} notified strategies waiting`,
        );
        continue;
      }
      const next = pending.values().next();
      if (next.done) return;
      pending.delete(next.value);
      await enqueue(next.value);
    }
  };
  const kick = () => {
    draining ??= drain().finally(() => {
      draining = undefined;
      if (!stopped && (pending.size > 0 || floodResync)) kick();
    });
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
      if (msg.channel === channel) handle(msg.payload);
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
        await draining;
      })();
      return stopping;
    },
    isListening: () => listening,
  };
}
