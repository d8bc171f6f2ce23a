import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Makes a Sentinel client connect again when ioredis ends it without the
 * application asking, and does the same for every `duplicate()` of it
 * (BullMQ's workers duplicate their connection for blocking reads).
 *
 * Why: ioredis (6.0) ends a Sentinel client for good when its failover
 * detector sees `+switch-master` while the client is between asking a
 * sentinel where the master is and connecting there. The detector's
 * disconnect makes the connector's `connect()` throw "Connection is closed.",
 * and the client's status goes to `end`, from which it never reconnects: a
 * failover leaves that connection dead while the process looks healthy. The
 * window is one sentinel round trip, so it is hit mostly on a busy machine
 * (universe-sync's reconcile connection, every time with the CPU saturated).
 *
 * A client the application closed (`quit()`, `disconnect()` without
 * reconnect) stays closed.
 */
export function reviveAfterUnexpectedEnd(
  client: Redis,
  opts: { logger: Logger; delayMs: (attempt: number) => number },
): Redis {
  let closedByApp = false;
  let attempt = 0;
  const quit = client.quit;
  const disconnect = client.disconnect;
  const duplicate = client.duplicate;
  client.quit = function (this: Redis, ...args: unknown[]) {
    closedByApp = true;
    return (quit as (...a: unknown[]) => Promise<'OK'>).apply(client, args);
  } as Redis['quit'];
  client.disconnect = (reconnect = false) => {
    if (!reconnect) closedByApp = true;
    disconnect.call(client, reconnect);
  };
  client.duplicate = override =>
    reviveAfterUnexpectedEnd(duplicate.call(client, override), opts);
  client.on('ready', () => {
    attempt = 0;
  });
  client.on('end', () => {
    if (closedByApp) return;
    const delayMs = opts.delayMs(++attempt);
    opts.logger.warn(
      { delayMs, attempt },
      'redis client ended although nothing closed it (Sentinel failover during a reconnect); connecting again',
    );
    setTimeout(() => {
      if (!closedByApp && client.status === 'end')
        client.connect().catch(() => undefined);
    }, delayMs).unref();
  });
  return client;
}
