import type { RedisClient } from './redis.js';
import { InvalidTickerError } from './errors.js';
import type { RedisKeys } from './keys.js';
import { isNormalizedTicker } from './tickers.js';

/** Members per `ZADD`: past ~100–500 Redis gains little and latency grows (docs/redis-bullmq.md#chunk-sizes). */
export const DEFAULT_ZADD_CHUNK = 500;

export interface TickWriteResult {
  /** Members sent to Redis. */
  sent: number;
  /** Members added or moved forward (`ZADD … GT CH`); replays and late prints count 0. */
  changed: number;
  /** `ZADD` calls made. */
  calls: number;
}

/** Reads and writes `TICK:UPD`: ticker → Unix ms of its latest eligible trade. */
export interface TickStore {
  /**
   * Records trade times with chunked, pipelined `ZADD TICK:UPD GT CH`, so a
   * late, replayed or reordered write never moves a ticker back.
   *
   * @throws InvalidTickerError before writing anything when a ticker is not
   *   normalised or a time is not a positive integer number of ms.
   */
  markUpdated(
    entries: Iterable<readonly [string, number]>,
    chunkSize?: number,
  ): Promise<TickWriteResult>;
  /** Tickers whose latest trade is at or after `sinceMs` (inclusive, as the alert loop reads it). */
  updatedSince(sinceMs: number): Promise<string[]>;
  /** One ticker's stored trade time, or null. */
  lastUpdate(ticker: string): Promise<number | null>;
  /** Removes members older than `cutoffMs` (exclusive); returns how many. */
  removeOlderThan(cutoffMs: number): Promise<number>;
  /** Number of tickers stored. */
  size(): Promise<number>;
}

/** Creates the `TICK:UPD` store over one Redis connection. */
export function createTickStore(
  redis: RedisClient,
  keys: RedisKeys,
): TickStore {
  const key = keys.tickUpd();
  return {
    async markUpdated(entries, chunkSize = DEFAULT_ZADD_CHUNK) {
      const args: (string | number)[] = [];
      const invalid: { index: number; value: unknown; reason: string }[] = [];
      let index = 0;
      for (const [ticker, ms] of entries) {
        if (typeof ticker !== 'string' || !isNormalizedTicker(ticker)) {
          invalid.push({
            index,
            value: ticker,
            reason: 'not a normalised ticker',
          });
        } else if (!Number.isSafeInteger(ms) || ms <= 0) {
          invalid.push({ index, value: ms, reason: `bad time for ${ticker}` });
        } else {
          args.push(ms, ticker);
        }
        index++;
      }
      if (invalid.length > 0) throw new InvalidTickerError(invalid);
      const sent = args.length / 2;
      if (sent === 0) return { sent: 0, changed: 0, calls: 0 };

      const pipeline = redis.pipeline();
      const step = chunkSize * 2;
      for (let i = 0; i < args.length; i += step) {
        pipeline.zadd(key, 'GT', 'CH', ...args.slice(i, i + step));
      }
      const results = await pipeline.exec();
      let changed = 0;
      for (const [err, res] of results ?? []) {
        if (err) throw err;
        changed += Number(res);
      }
      return { sent, changed, calls: results?.length ?? 0 };
    },

    updatedSince: sinceMs =>
      redis.zrange(key, String(sinceMs), '+inf', 'BYSCORE'),

    async lastUpdate(ticker) {
      const score = await redis.zscore(key, ticker);
      return score === null ? null : Number(score);
    },

    removeOlderThan: cutoffMs =>
      redis.zremrangebyscore(key, '-inf', `(${cutoffMs}`),

    size: () => redis.zcard(key),
  };
}
