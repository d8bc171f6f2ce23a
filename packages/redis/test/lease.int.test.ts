import type { Redis } from 'ioredis';
import { deletePrefix, testRedis, uniquePrefix } from '@tickpulse/testkit';
import { createKeys } from '@tickpulse/contracts';
import { createLease } from '../src';
import { sleep } from '@tickpulse/service-kit';

describe('Lease against real Redis', () => {
  let redis: Redis;
  let prefix: string;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = uniquePrefix('lease');
  });
  afterEach(() => deletePrefix(redis, prefix));
  afterAll(() => redis.quit());

  it('lets one holder at a time take it', async () => {
    const key = createKeys(prefix).lease('ingest');
    const a = createLease(redis, key, 5000);
    const b = createLease(redis, key, 5000);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.acquire()).toBe(true);
    expect(await a.holder()).toBe(a.token);
  });

  it('passes to another holder after release, and only the holder may release', async () => {
    const key = createKeys(prefix).lease('reconcile');
    const a = createLease(redis, key, 5000);
    const b = createLease(redis, key, 5000);
    await a.acquire();
    await b.release();
    expect(await a.holder()).toBe(a.token);
    await a.release();
    expect(await b.acquire()).toBe(true);
  });

  it('expires when not renewed, and the old holder cannot renew a successor’s lease', async () => {
    const key = createKeys(prefix).lease('x');
    const a = createLease(redis, key, 100);
    const b = createLease(redis, key, 5000);
    await a.acquire();
    await sleep(250);
    expect(await b.acquire()).toBe(true);
    expect(await a.renew()).toBe(false);
    expect(await a.holder()).toBe(b.token);
  });
});
