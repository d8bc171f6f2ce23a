import type { Redis } from 'ioredis';
import { deletePrefix, testRedis, uniquePrefix } from '@tickpulse/testkit';
import { createKeys, InvalidTickerError } from '@tickpulse/contracts';
import { createTickStore } from '../src';

describe('TickStore against real Redis', () => {
  let redis: Redis;
  let prefix: string;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = uniquePrefix('ticks');
  });
  afterEach(() => deletePrefix(redis, prefix));
  afterAll(() => redis.quit());

  it('never lets a lower score overwrite a higher one', async () => {
    const store = createTickStore(redis, createKeys(prefix));
    await store.markUpdated([['AAPL', 2000_000_000_000]]);
    const r = await store.markUpdated([
      ['AAPL', 1000_000_000_000],
      ['MSFT', 1500_000_000_000],
    ]);
    expect(r).toEqual({ sent: 2, changed: 1, calls: 1 });
    expect(await store.lastUpdate('AAPL')).toBe(2000_000_000_000);
    expect(await store.lastUpdate('MSFT')).toBe(1500_000_000_000);
    await store.markUpdated([['AAPL', 2000_000_000_001]]);
    expect(await store.lastUpdate('AAPL')).toBe(2000_000_000_001);
  });

  it('writes large batches in chunks, exactly', async () => {
    const store = createTickStore(redis, createKeys(prefix));
    const entries = Array.from(
      { length: 12_345 },
      (_, i) => [`T${i}`, 1_700_000_000_000 + i] as const,
    );
    const r = await store.markUpdated(entries, 500);
    expect(r.sent).toBe(12_345);
    expect(r.changed).toBe(12_345);
    expect(r.calls).toBe(25);
    expect(await store.size()).toBe(12_345);
    expect(await store.lastUpdate('T12344')).toBe(1_700_000_000_000 + 12_344);
  });

  it('uses the exact production key under an empty prefix layout', async () => {
    const store = createTickStore(redis, createKeys(prefix));
    await store.markUpdated([['SPY', 1_752_586_200_412]]);
    expect(await redis.zscore(`${prefix}TICK:UPD`, 'SPY')).toBe(
      '1752586200412',
    );
  });

  it('rejects an invalid entry before writing any of the batch', async () => {
    const store = createTickStore(redis, createKeys(prefix));
    await expect(
      store.markUpdated([
        ['AAPL', 1_752_586_200_412],
        ['bad ticker', 1_752_586_200_412],
        ['MSFT', Number.NaN],
      ]),
    ).rejects.toBeInstanceOf(InvalidTickerError);
    expect(await store.size()).toBe(0);
  });

  it('tells which tickers it holds, in their order', async () => {
    const store = createTickStore(redis, createKeys(prefix));
    await store.markUpdated([
      ['AAPL', 1_752_586_200_000],
      ['MSFT', 1_752_586_200_000],
    ]);
    expect(await store.contains(['MSFT', 'NVDA', 'AAPL'])).toEqual([
      true,
      false,
      true,
    ]);
    expect(await store.contains([])).toEqual([]);
    expect(await store.size()).toBe(2);
  });

  it('lists tickers updated since a time, inclusive', async () => {
    const store = createTickStore(redis, createKeys(prefix));
    await store.markUpdated([
      ['A', 1000_000_000_000],
      ['B', 1000_000_000_500],
      ['C', 1000_000_001_000],
    ]);
    expect((await store.updatedSince(1000_000_000_500)).sort()).toEqual([
      'B',
      'C',
    ]);
  });

  it('removes only members older than the cutoff', async () => {
    const store = createTickStore(redis, createKeys(prefix));
    await store.markUpdated([
      ['OLD', 1000_000_000_000],
      ['EDGE', 1000_000_000_500],
      ['NEW', 1000_000_001_000],
    ]);
    expect(await store.removeOlderThan(1000_000_000_500)).toBe(1);
    expect(await store.lastUpdate('OLD')).toBeNull();
    expect(await store.lastUpdate('EDGE')).toBe(1000_000_000_500);
  });
});
