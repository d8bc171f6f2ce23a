/**
 * What `waitForRedisReady` reads of a client (a `Redis` or a `Cluster`);
 * structural, so that this module needs nothing from redis.ts, which uses it.
 */
export interface ConnectionEvents {
  readonly status: string;
  once(event: 'ready' | 'end', listener: () => void): unknown;
  off(event: 'ready' | 'end', listener: () => void): unknown;
}

/**
 * Resolves `true` once the client is connected and ready (at once if it is
 * already), or `false` when the connection ends for good or `timeoutMs`
 * passes first. Fail-fast clients (`enableOfflineQueue: false`) reject every
 * command until then, and a Cluster client knows its nodes only once ready,
 * so callers wait here instead of sending a first command that would fail.
 *
 * @param timeoutMs give up after this long; unset waits as long as the client
 *   keeps trying (its own retry strategy decides).
 */
export function waitForRedisReady(
  client: ConnectionEvents,
  timeoutMs?: number,
): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  if (client.status === 'end') return Promise.resolve(false);
  return new Promise(resolve => {
    const settle = (ready: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
      resolve(ready);
    };
    const onReady = () => settle(true);
    const onEnd = () => settle(false);
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => settle(false), timeoutMs);
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}
