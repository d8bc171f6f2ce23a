import type { Redis } from 'ioredis';
import { deletePrefix, testRedis, uniquePrefix } from '@tickpulse/testkit';
import { createKeys, InvalidTickerError } from '@tickpulse/contracts';
import { createUniverseStore } from '../src';

const tickers = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `${tag}${i}`);

describe('UniverseStore against real Redis', () => {
  let redis: Redis;
  let prefix: string;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = uniquePrefix('univ');
  });
  afterEach(() => deletePrefix(redis, prefix));
  afterAll(() => redis.quit());

  it('stores normalised, de-duplicated tickers under STRAT:<id>:UNIV', async () => {
    const store = createUniverseStore(redis, createKeys(prefix));
    const r = await store.replace(42, ['aapl', 'MSFT', ' msft ', 'brk.a']);
    expect(r).toEqual({ action: 'replaced', size: 3 });
    expect((await redis.smembers(`${prefix}STRAT:42:UNIV`)).sort()).toEqual([
      'AAPL',
      'BRK.A',
      'MSFT',
    ]);
  });

  it('reads a large universe in SSCAN pages, counts it and tells members apart', async () => {
    const store = createUniverseStore(redis, createKeys(prefix));
    const tickers = Array.from({ length: 2500 }, (_, i) => `T${i}`);
    await store.replace(9, tickers);
    expect(await store.size(9)).toBe(2500);
    const seen = new Set<string>();
    let pages = 0;
    for await (const page of store.scanMembers(9, 500)) {
      pages++;
      for (const t of page) seen.add(t);
    }
    expect(pages).toBeGreaterThan(1);
    expect(seen).toEqual(new Set(tickers));
    expect(await store.contains(9, ['T0', 'NOPE', 'T2499'])).toEqual([
      true,
      false,
      true,
    ]);
    expect(await store.size(10)).toBe(0);
    const none: string[][] = [];
    for await (const page of store.scanMembers(10)) none.push(page);
    expect(none).toEqual([]);
  });

  it('replaces rather than merges', async () => {
    const store = createUniverseStore(redis, createKeys(prefix));
    await store.replace(1, ['A', 'B']);
    await store.replace(1, ['C']);
    expect(await store.read(1)).toEqual(['C']);
  });

  it('removes the key for an empty universe', async () => {
    const store = createUniverseStore(redis, createKeys(prefix));
    await store.replace(7, ['A']);
    expect(await store.replace(7, [])).toEqual({ action: 'removed', size: 0 });
    expect(await redis.exists(`${prefix}STRAT:7:UNIV`)).toBe(0);
  });

  it.each([
    [['AAPL', '']],
    [['AAPL', '   ']],
    [['AAPL', 'MS FT']],
    [['AAPL', 42]],
    [['AAPL', null]],
  ])('rejects %j with a clear error and writes nothing', async bad => {
    const store = createUniverseStore(redis, createKeys(prefix));
    await store.replace(9, ['KEEP']);
    await expect(store.replace(9, bad)).rejects.toBeInstanceOf(
      InvalidTickerError,
    );
    await expect(store.replace(9, bad)).rejects.toThrow(/invalid ticker/);
    expect(await store.read(9)).toEqual(['KEEP']);
  });

  it('never exposes an empty or partial set while replacing 20 000 tickers', async () => {
    const keys = createKeys(prefix);
    const store = createUniverseStore(redis, keys, 1000);
    const before = tickers(15_000, 'OLD');
    const after = tickers(20_000, 'NEW');
    await store.replace(5, before);

    const reader = redis.duplicate();
    const seen = new Set<number>();
    let polls = 0;
    let done = false;
    const poll = (async () => {
      while (!done) {
        const [[, card], [, sample]] = (await reader
          .multi()
          .scard(keys.stratUniv(5))
          .srandmember(keys.stratUniv(5))
          .exec()) as [[null, number], [null, string | null]];
        seen.add(card);
        if (card === 15_000) expect(sample).toMatch(/^OLD/);
        if (card === 20_000) expect(sample).toMatch(/^NEW/);
        polls++;
      }
    })();

    // Replace back and forth until the reader has looked in often enough:
    // how many looks fit in one replace depends on the machine's load (two
    // busy cores left it 10 in 7 replaces), not on the code under test.
    let replaces = 0;
    while ((replaces < 7 || polls < 20) && replaces < 400)
      await store.replace(5, replaces++ % 2 === 0 ? after : before);
    await store.replace(5, after);
    done = true;
    await poll;
    await reader.quit();

    expect(polls).toBeGreaterThanOrEqual(20);
    expect([...seen].every(n => n === 15_000 || n === 20_000)).toBe(true);
    expect(new Set(await store.read(5))).toEqual(new Set(after));
    const leftovers = await redis.keys(`${prefix}*tmp*`);
    expect(leftovers).toEqual([]);
  });

  it('finds universe keys with SCAN under its own prefix only', async () => {
    const store = createUniverseStore(redis, createKeys(prefix));
    for (const id of [3, 30, 300]) await store.replace(id, ['A']);
    await redis.set(`${prefix}STRAT:4:LAST`, 'x');
    const other = uniquePrefix('other');
    await createUniverseStore(redis, createKeys(other)).replace(99, ['A']);
    const found: number[] = [];
    for await (const page of store.scanStrategyIds(10)) found.push(...page);
    expect(found.sort((a, b) => a - b)).toEqual([3, 30, 300]);
    await deletePrefix(redis, other);
  });

  it('removes a strategy’s keys, LAST only when asked', async () => {
    const keys = createKeys(prefix);
    const store = createUniverseStore(redis, keys);
    await store.replace(11, ['A']);
    await redis.hset(keys.stratLast(11), 'A', '1');
    expect(await store.remove(11)).toBe(1);
    expect(await redis.exists(keys.stratLast(11))).toBe(1);
    await store.replace(11, ['A']);
    await redis.hset(keys.stratSeen(11), 'A', '1');
    expect(await store.remove(11, { withLast: true })).toBe(3);
    expect(
      await redis.exists(keys.stratUniv(11), ...keys.stratEvaluation(11)),
    ).toBe(0);
  });
});
