import { createServer } from 'node:net';
import Redis from 'ioredis';
import { waitForRedisReady } from '../src/redis-ready';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>(r => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise(r => srv.close(r));
  return port;
}

describe('waitForRedisReady against real connections', () => {
  it('resolves true once a real client is ready, and at once afterwards', async () => {
    const client = new Redis(REDIS_URL, { enableOfflineQueue: false });
    try {
      await expect(waitForRedisReady(client, 10_000)).resolves.toBe(true);
      expect(await client.ping()).toBe('PONG');
      await expect(waitForRedisReady(client)).resolves.toBe(true);
    } finally {
      client.disconnect();
    }
  });

  it('resolves false when a client that does not retry cannot connect', async () => {
    const client = new Redis({
      host: '127.0.0.1',
      port: await closedPort(),
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    client.on('error', () => undefined);
    try {
      await expect(waitForRedisReady(client)).resolves.toBe(false);
      expect(client.status).toBe('end');
    } finally {
      client.disconnect();
    }
  });
});
