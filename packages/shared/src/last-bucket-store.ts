import type { RedisClient } from './redis.js';
import type { RedisKeys } from './keys.js';

const HSET_CHUNK = 1000;

/** Reads and writes `STRAT:<id>:LAST`: ticker → decimal Unix ms of the bucket last evaluated. */
export interface LastBucketStore {
  /**
   * Each ticker's last bucket. A missing field or a value that is not a
   * decimal integer means "never" (null), as in the existing backend.
   */
  get(
    strategyId: number,
    tickers: readonly string[],
  ): Promise<Map<string, number | null>>;
  /** Records buckets as decimal strings (`strconv.FormatInt` compatible). */
  set(
    strategyId: number,
    buckets: Iterable<readonly [string, number]>,
  ): Promise<void>;
}

/** Creates the last-bucket store over one Redis connection. */
export function createLastBucketStore(
  redis: RedisClient,
  keys: RedisKeys,
): LastBucketStore {
  return {
    async get(strategyId, tickers) {
      const out = new Map<string, number | null>();
      if (tickers.length === 0) return out;
      const values = await redis.hmget(keys.stratLast(strategyId), ...tickers);
      tickers.forEach((t, i) => out.set(t, parseBucket(values[i])));
      return out;
    },

    async set(strategyId, buckets) {
      const key = keys.stratLast(strategyId);
      const args: string[] = [];
      for (const [ticker, ms] of buckets) {
        if (!Number.isSafeInteger(ms)) {
          throw new RangeError(
            `bucket for ${ticker} must be an integer ms, got ${ms}`,
          );
        }
        args.push(ticker, String(ms));
      }
      if (args.length === 0) return;
      const pipeline = redis.pipeline();
      for (let i = 0; i < args.length; i += HSET_CHUNK * 2) {
        pipeline.hset(key, ...args.slice(i, i + HSET_CHUNK * 2));
      }
      for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
    },
  };
}

/** Parses a stored bucket; anything but a plain decimal integer is "never". */
export function parseBucket(value: string | null | undefined): number | null {
  if (value == null || !/^-?\d{1,16}$/.test(value)) return null;
  return Number(value);
}
