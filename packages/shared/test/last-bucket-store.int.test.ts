import type { Redis } from 'ioredis';
import { deletePrefix, testRedis, uniquePrefix } from '@tickpulse/testkit';
import { createKeys, createLastBucketStore } from '../src';

describe('LastBucketStore against real Redis', () => {
  let redis: Redis;
  let prefix: string;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = uniquePrefix('last');
  });
  afterEach(() => deletePrefix(redis, prefix));
  afterAll(() => redis.quit());

  it('writes decimal ms strings the Go backend can parse', async () => {
    const keys = createKeys(prefix);
    await createLastBucketStore(redis, keys).set(42, [['AAPL', 1752552000000]]);
    expect(await redis.hget(keys.stratLast(42), 'AAPL')).toBe('1752552000000');
  });

  it('reads missing and unparsable fields as never', async () => {
    const keys = createKeys(prefix);
    const store = createLastBucketStore(redis, keys);
    await redis.hset(
      keys.stratLast(42),
      'AAPL',
      '1752552000000',
      'BAD',
      'yesterday',
    );
    const got = await store.get(42, ['AAPL', 'BAD', 'NONE']);
    expect(Object.fromEntries(got)).toEqual({
      AAPL: 1752552000000,
      BAD: null,
      NONE: null,
    });
    expect((await store.get(43, ['AAPL'])).get('AAPL')).toBeNull();
  });

  it('writes many fields in chunks', async () => {
    const keys = createKeys(prefix);
    const store = createLastBucketStore(redis, keys);
    const entries = Array.from(
      { length: 2500 },
      (_, i) => [`T${i}`, 1752552000000] as const,
    );
    await store.set(1, entries);
    expect(await redis.hlen(keys.stratLast(1))).toBe(2500);
  });
});
