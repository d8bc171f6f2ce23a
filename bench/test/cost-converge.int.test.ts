import { startPrivateRedis, type PrivateRedis } from '@tickpulse/testkit';
import { Redis } from 'ioredis';
import { differing, waitEqual } from '../src/cost-converge.js';

describe('cost convergence check', () => {
  let server: PrivateRedis;
  let redis: Redis;
  beforeAll(async () => {
    server = await startPrivateRedis();
    redis = new Redis(server.url, { protocol: 2 });
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  const expected = new Map([
    ['AAPL', 1000],
    ['MSFT', 2000],
    ['SPY', 3000],
  ]);

  it('reports members that differ, are missing or are extra', async () => {
    await redis.zadd('a', 1000, 'AAPL', 1999, 'MSFT', 5, 'ZZZ');
    expect((await differing(redis, 'a', expected)).sort()).toEqual([
      'MSFT',
      'SPY',
      'ZZZ',
    ]);
  });

  it('returns once the set reaches the oracle, polling only what differs', async () => {
    await redis.zadd('b', 1000, 'AAPL', 1500, 'MSFT');
    const done = waitEqual(redis, 'b', expected, Date.now() + 10_000);
    await new Promise(r => setTimeout(r, 50));
    const before = Date.now();
    await redis.zadd('b', 'GT', 2000, 'MSFT', 3000, 'SPY');
    const at = await done;
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThanOrEqual(before);
  });

  it('gives up at the deadline when a member never matches', async () => {
    await redis.zadd('c', 1000, 'AAPL', 2000, 'MSFT', 3000, 'SPY', 1, 'ZZZ');
    expect(await waitEqual(redis, 'c', expected, Date.now() + 200)).toBeNull();
  });
});
