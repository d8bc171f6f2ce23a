import type { RedisClient } from './redis.js';
import type { RedisKeys } from '@tickpulse/contracts';
import { tickBatchOf, type TickBatch } from '@tickpulse/contracts';
import { zaddGtCommands } from './zadd-gt-command.js';

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
   * `markUpdated` for a validated `ticks` batch, as tick-writer holds it:
   * no entry per ticker, and nothing left to check.
   */
  markUpdatedBatch(
    batch: TickBatch,
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
  /** Which of `tickers` are stored (`ZMSCORE`, Redis ≥ 6.2), in their order. */
  contains(tickers: readonly string[]): Promise<boolean[]>;
}

/** Creates the `TICK:UPD` store over one Redis connection. */
export function createTickStore(
  redis: RedisClient,
  keys: RedisKeys,
): TickStore {
  const key = keys.tickUpd();

  const writeBatch = async (
    batch: TickBatch,
    chunkSize = DEFAULT_ZADD_CHUNK,
  ): Promise<TickWriteResult> => {
    const sent = batch.times.length;
    if (sent === 0) return { sent: 0, changed: 0, calls: 0 };
    // Prebuilt commands (see ZaddGtCommand), sent one after the other in the
    // same tick: ioredis writes them back to back, as a pipeline would, and
    // a Pipeline copies every script BullMQ defined on the connection onto
    // itself when it is made.
    const commands = zaddGtCommands(key, batch, chunkSize);
    const replies = await Promise.all(
      commands.map(c => redis.sendCommand(c) as Promise<unknown>),
    );
    let changed = 0;
    for (const r of replies) changed += Number(r);
    return { sent, changed, calls: commands.length };
  };

  return {
    async markUpdated(entries, chunkSize) {
      const tickers: unknown[] = [];
      const times: unknown[] = [];
      for (const [ticker, ms] of entries) {
        tickers.push(ticker);
        times.push(ms);
      }
      return writeBatch(tickBatchOf(tickers, times), chunkSize);
    },

    markUpdatedBatch: writeBatch,

    updatedSince: sinceMs =>
      redis.zrange(key, String(sinceMs), '+inf', 'BYSCORE'),

    async lastUpdate(ticker) {
      const score = await redis.zscore(key, ticker);
      return score === null ? null : Number(score);
    },

    removeOlderThan: cutoffMs =>
      redis.zremrangebyscore(key, '-inf', `(${cutoffMs}`),

    size: () => redis.zcard(key),

    async contains(tickers) {
      if (tickers.length === 0) return [];
      const scores = await redis.zmscore(key, ...tickers);
      return scores.map(score => score !== null);
    },
  };
}
