import type { RedisClient } from './redis.js';
import { InvalidTickerError } from './errors.js';
import type { RedisKeys } from './keys.js';
import { isNormalizedTicker } from './tickers.js';
import { queueCommand } from './resp-wire.js';
import { ZaddGtCommand } from './zadd-gt-command.js';

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
  /**
   * `markUpdated` for parallel arrays (`times[i]` belongs to `tickers[i]`),
   * as a `ticks` batch carries them: no entry array per ticker.
   *
   * @throws InvalidTickerError as `markUpdated` does.
   */
  markUpdatedColumns(
    tickers: readonly string[],
    times: readonly number[],
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

  const writeColumns = async (
    tickers: readonly string[],
    times: readonly number[],
    chunkSize = DEFAULT_ZADD_CHUNK,
  ): Promise<TickWriteResult> => {
    const invalid: { index: number; value: unknown; reason: string }[] = [];
    for (let i = 0; i < tickers.length; i++) {
      const ticker: unknown = tickers[i];
      const ms = times[i];
      if (typeof ticker !== 'string' || !isNormalizedTicker(ticker)) {
        invalid.push({
          index: i,
          value: ticker,
          reason: 'not a normalised ticker',
        });
      } else if (!Number.isSafeInteger(ms) || ms! <= 0) {
        invalid.push({ index: i, value: ms, reason: `bad time for ${ticker}` });
      }
    }
    if (tickers.length !== times.length)
      invalid.push({
        index: Math.min(tickers.length, times.length),
        value: Math.abs(tickers.length - times.length),
        reason: 'tickers and times differ in length',
      });
    if (invalid.length > 0) throw new InvalidTickerError(invalid);
    const sent = tickers.length;
    if (sent === 0) return { sent: 0, changed: 0, calls: 0 };

    // Prebuilt commands: see ZaddGtCommand for why not `pipeline.zadd(...)`.
    const pipeline = redis.pipeline();
    let calls = 0;
    for (let i = 0; i < sent; i += chunkSize) {
      queueCommand(
        pipeline,
        new ZaddGtCommand(
          key,
          tickers,
          times,
          i,
          Math.min(sent, i + chunkSize),
        ),
      );
      calls++;
    }
    const results = await pipeline.exec();
    let changed = 0;
    for (const [err, res] of results ?? []) {
      if (err) throw err;
      changed += Number(res);
    }
    return { sent, changed, calls };
  };

  return {
    markUpdated(entries, chunkSize) {
      const tickers: string[] = [];
      const times: number[] = [];
      for (const [ticker, ms] of entries) {
        tickers.push(ticker);
        times.push(ms);
      }
      return writeColumns(tickers, times, chunkSize);
    },

    markUpdatedColumns: (tickers, times, chunkSize) =>
      writeColumns(tickers, times, chunkSize),

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
