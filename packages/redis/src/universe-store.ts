import { randomUUID } from 'node:crypto';
import { isCluster, masterNodes, type RedisClient } from './redis.js';
import type { RedisKeys } from '@tickpulse/contracts';
import { normalizeTickers } from '@tickpulse/contracts';

/** Up to this many members a replace is one `MULTI`; above it, a scratch set and a swap. */
export const DEFAULT_SADD_CHUNK = 2000;

/** A scratch set outlives a crashed writer by at most this long. */
const SCRATCH_TTL_MS = 120_000;

// Swap a fully written scratch set in, atomically. UNLINK frees the old set
// off the main thread (a plain RENAME would DEL it inline), and checking the
// scratch key first means an expired scratch set can never delete the live one.
const SWAP_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('UNLINK', KEYS[2])
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('PERSIST', KEYS[2])
return 1`;

export interface UniverseReplaceResult {
  action: 'replaced' | 'removed';
  /** Members in the set now (0 when removed). */
  size: number;
}

/** Reads and writes `STRAT:<id>:UNIV` sets. */
export interface UniverseStore {
  /**
   * Replaces a strategy's universe so that no reader ever sees it half
   * written or missing in between: up to `chunkSize` members one
   * MULTI/UNLINK/SADD on the key, above it a scratch set in the key's own
   * slot (`{STRAT:<id>:UNIV}:tmp:…`) swapped in by one script, so both work
   * on Redis Cluster. Tickers are upper-cased, trimmed and
   * de-duplicated; an empty list removes the key (a global strategy).
   *
   * @throws InvalidTickerError listing every invalid element; nothing is written.
   */
  replace(
    strategyId: number,
    tickers: readonly unknown[],
  ): Promise<UniverseReplaceResult>;
  /** The strategy's universe (empty when the key is missing). */
  read(strategyId: number): Promise<string[]>;
  /** Members of the strategy's universe (`SCARD`; 0 when the key is missing). */
  size(strategyId: number): Promise<number>;
  /**
   * The universe in `SSCAN` pages, for sets too large to read at once: the
   * event loop and Redis both get a turn between pages. A member may come
   * twice if the set is rehashed during the scan.
   */
  scanMembers(strategyId: number, count?: number): AsyncGenerator<string[]>;
  /** Which of `tickers` are members (`SMISMEMBER`, Redis ≥ 6.2), in their order. */
  contains(strategyId: number, tickers: readonly string[]): Promise<boolean[]>;
  /**
   * Removes the universe, and with `withLast` the strategy's evaluation
   * state too (LAST, and CLAIM, SEEN, TRIG in its slot); returns keys
   * removed. One UNLINK on a single server; on a cluster two, universe first.
   */
  remove(strategyId: number, opts?: { withLast?: boolean }): Promise<number>;
  /**
   * Every strategy id that has a universe key, in SCAN pages (never KEYS),
   * from every master of a cluster (each SCANs only its own keys).
   */
  scanStrategyIds(count?: number): AsyncGenerator<number[]>;
}

/** Creates the universe store over one Redis connection. */
export function createUniverseStore(
  redis: RedisClient,
  keys: RedisKeys,
  chunkSize = DEFAULT_SADD_CHUNK,
): UniverseStore {
  return {
    async replace(strategyId, tickers) {
      const key = keys.stratUniv(strategyId);
      const members = normalizeTickers(tickers);
      if (members.length === 0) {
        await redis.unlink(key);
        return { action: 'removed', size: 0 };
      }
      if (members.length <= chunkSize) {
        const res = await redis
          .multi()
          .unlink(key)
          .sadd(key, ...members)
          .exec();
        throwFirstError(res);
        return { action: 'replaced', size: members.length };
      }

      const scratch = keys.scratch(key, randomUUID());
      try {
        const fill = redis.pipeline();
        for (let i = 0; i < members.length; i += chunkSize) {
          fill.sadd(scratch, ...members.slice(i, i + chunkSize));
          if (i === 0) fill.pexpire(scratch, SCRATCH_TTL_MS);
        }
        throwFirstError(await fill.exec());
        const swapped = await redis.eval(SWAP_SCRIPT, 2, scratch, key);
        if (swapped !== 1) {
          throw new Error(
            `scratch set ${scratch} expired before the swap; ${key} left unchanged`,
          );
        }
      } catch (err) {
        await redis.unlink(scratch).catch(() => undefined);
        throw err;
      }
      return { action: 'replaced', size: members.length };
    },

    read: strategyId => redis.smembers(keys.stratUniv(strategyId)),

    size: strategyId => redis.scard(keys.stratUniv(strategyId)),

    async *scanMembers(strategyId, count = 10_000) {
      const key = keys.stratUniv(strategyId);
      let cursor = '0';
      do {
        const [next, page] = await redis.sscan(key, cursor, 'COUNT', count);
        cursor = next;
        if (page.length > 0) yield page;
      } while (cursor !== '0');
    },

    async contains(strategyId, tickers) {
      if (tickers.length === 0) return [];
      const flags = await redis.smismember(
        keys.stratUniv(strategyId),
        ...tickers,
      );
      return flags.map(f => f === 1);
    },

    async remove(strategyId, opts = {}) {
      const univ = keys.stratUniv(strategyId);
      if (!opts.withLast) return redis.unlink(univ);
      const evaluation = keys.stratEvaluation(strategyId);
      if (!isCluster(redis)) return redis.unlink(univ, ...evaluation);
      return (await redis.unlink(univ)) + (await redis.unlink(...evaluation));
    },

    async *scanStrategyIds(count = 1000) {
      for (const node of await masterNodes(redis)) {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(
            cursor,
            'MATCH',
            keys.stratUnivPattern(),
            'COUNT',
            count,
          );
          cursor = next;
          const ids = found
            .map(k => keys.strategyIdOfUnivKey(k))
            .filter((id): id is number => id !== null);
          if (ids.length > 0) yield ids;
        } while (cursor !== '0');
      }
    },
  };
}

function throwFirstError(results: [Error | null, unknown][] | null): void {
  if (results === null) throw new Error('Redis transaction aborted');
  for (const [err] of results) if (err) throw err;
}
