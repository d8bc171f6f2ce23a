import { Redis } from 'ioredis';
import { waitFor } from './wait.js';

/**
 * Waits until a Redis server at `url` (a URL with its password, if any)
 * answers PING: the start-up check of every server testkit starts. One
 * connection without reconnects, its connection errors (ECONNREFUSED while
 * the server is still starting) swallowed rather than emitted unhandled.
 */
export async function waitForRedisPing(
  url: string,
  opts: { timeoutMs: number; what: string },
): Promise<void> {
  const probe = new Redis(url, {
    protocol: 2,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await waitFor(async () => {
      try {
        if (probe.status !== 'ready')
          await probe.connect().catch(() => undefined);
        return (await probe.ping()) === 'PONG';
      } catch {
        probe.disconnect();
        return false;
      }
    }, opts);
  } finally {
    probe.disconnect();
  }
}
