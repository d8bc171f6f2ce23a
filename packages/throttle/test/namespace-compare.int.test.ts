import { Redis } from 'ioredis';
import {
  afterNthCall,
  COMPARE_FIXTURE,
  deletePrefix,
  startPrivateRedis,
  testRedis,
  uniquePrefix,
  writeCompareFixture,
  type PrivateRedis,
} from '@tickpulse/testkit';
import { createKeys } from '@tickpulse/contracts';
import { CompareError, compareNamespaces, nearestRank } from '../src';

describe('nearestRank', () => {
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  it.each([
    ['[]', [], 50, 0],
    ['[5]', [5], 99, 5],
    ['1..4', upTo(4), 50, 2],
    ['1..4', upTo(4), 99, 4],
    ['1..100', upTo(100), 99, 99],
    ['1..200', upTo(200), 50, 100],
  ])('of %s at p%d is %d', (_label, sorted, p, want) => {
    expect(nearestRank(sorted, p)).toBe(want);
  });
});

describe('compareNamespaces against real Redis', () => {
  let redis: Redis;
  let refPrefix: string;
  let shadowPrefix: string;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    refPrefix = uniquePrefix('cmp-ref');
    shadowPrefix = uniquePrefix('cmp-shadow');
  });
  afterEach(async () => {
    await deletePrefix(redis, refPrefix);
    await deletePrefix(redis, shadowPrefix);
  });
  afterAll(() => redis.quit());

  it('counts a fixture with known differences exactly', async () => {
    await writeCompareFixture(redis, refPrefix, shadowPrefix);
    const result = await compareNamespaces(
      redis,
      createKeys(refPrefix),
      createKeys(shadowPrefix),
    );
    expect(result).toEqual(COMPARE_FIXTURE);
  });

  it('reports empty namespaces as zeros', async () => {
    const { comparison } = await compareNamespaces(
      redis,
      createKeys(refPrefix),
      createKeys(shadowPrefix),
    );
    expect(comparison.ticks).toEqual({
      reference: 0,
      shadow: 0,
      both: 0,
      onlyReference: 0,
      onlyShadow: 0,
      equal: 0,
      shadowAhead: 0,
      shadowBehind: 0,
      absDeltaMs: { p50: 0, p99: 0, max: 0 },
    });
    expect(Object.values(comparison.universes)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('refuses to compare a namespace with itself', async () => {
    await expect(
      compareNamespaces(redis, createKeys(refPrefix), createKeys(refPrefix)),
    ).rejects.toThrow(/same/);
  });
});

describe('compareNamespaces on large keys (private redis-server)', () => {
  let server: PrivateRedis;
  let redis: Redis;

  beforeAll(async () => {
    server = await startPrivateRedis();
    redis = new Redis(server.url, {
      protocol: 2,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
  });
  // The kill test runs last: it leaves the server down.
  beforeEach(() => redis.flushall());
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  /** Fills the unprefixed (Go) namespace and `sh:` with n tickers, each shadow score +i ms. */
  async function fillTicks(n: number): Promise<void> {
    for (let i = 0; i < n; i += 5000) {
      const ref: (string | number)[] = [];
      const sh: (string | number)[] = [];
      for (let j = i; j < Math.min(n, i + 5000); j++) {
        ref.push(1_000_000, `T${j}`);
        sh.push(1_000_000 + j, `T${j}`);
      }
      await redis.zadd('TICK:UPD', ...ref);
      await redis.zadd('sh:TICK:UPD', ...sh);
    }
  }

  const cmdCalls = async (name: string): Promise<number> => {
    const info = await redis.info('commandstats');
    return Number(
      new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0,
    );
  };

  it('reads TICK:UPD and a big universe in many pages with the same result', async () => {
    await fillTicks(20_000);
    // 3 000 members: a hashtable-encoded set, which SSCAN really pages.
    const members = Array.from({ length: 3000 }, (_, i) => `M${i}`);
    await redis.sadd('STRAT:9:UNIV', ...members);
    await redis.sadd('sh:STRAT:9:UNIV', ...members.slice(1), 'OTHER');
    for (let id = 100; id < 400; id++) {
      await redis.sadd(`STRAT:${id}:UNIV`, 'A');
      await redis.sadd(`sh:STRAT:${id}:UNIV`, 'A');
    }
    await redis.config('RESETSTAT');
    const { comparison } = await compareNamespaces(
      redis,
      createKeys(''),
      createKeys('sh:'),
      { pageSize: 200, strategiesPerRound: 50 },
    );
    expect(await cmdCalls('zscan')).toBeGreaterThanOrEqual(2 * (20_000 / 200));
    expect(await cmdCalls('sscan')).toBeGreaterThanOrEqual(2 * (3000 / 200));
    expect(await cmdCalls('scan')).toBeGreaterThan(2);
    expect(comparison.ticks).toEqual({
      reference: 20_000,
      shadow: 20_000,
      both: 20_000,
      onlyReference: 0,
      onlyShadow: 0,
      equal: 1,
      shadowAhead: 19_999,
      shadowBehind: 0,
      absDeltaMs: { p50: 9999, p99: 19_799, max: 19_999 },
    });
    expect(comparison.universes).toEqual({
      reference: 301,
      shadow: 301,
      equal: 300,
      differ: 1,
      onlyReference: 0,
      onlyShadow: 0,
    });
  });

  it('fails with a CompareError naming the key when Redis goes away mid-run', async () => {
    await fillTicks(20_000);
    const { client, calls } = afterNthCall(redis, 'zscan', 3, () =>
      server.kill(),
    );
    const err = (await compareNamespaces(
      client,
      createKeys(''),
      createKeys('sh:'),
      { pageSize: 100 },
    ).catch((e: unknown) => e)) as CompareError;
    expect(err).toBeInstanceOf(CompareError);
    expect(err.message).toMatch(/^comparison aborted while reading TICK:UPD: /);
    expect(calls()).toBe(3);
  });
});
