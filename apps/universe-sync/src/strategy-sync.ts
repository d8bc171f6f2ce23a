import type { Logger, RedisKeys, UniverseStore } from '@tickpulse/shared';
import type { Redis } from 'ioredis';
import type { StrategyReader } from './db.js';
import type { UniverseMetrics } from './metrics.js';
import {
  describeInvalid,
  desiredUniverse,
  type NoSetReason,
} from './universe.js';

/** What one strategy sync did to Redis. */
export type StrategySyncResult =
  | { action: 'written'; size: number; invalid: number }
  | {
      action: 'removed' | 'absent';
      reason: NoSetReason;
      invalid: number;
    };

/** Brings one strategy's `STRAT:<id>:UNIV` in line with its row. */
export interface StrategySyncer {
  /**
   * @param afterRead awaited between the row read and the Redis write (a
   *   test seam for the edit-during-sync race).
   */
  sync(
    strategyId: number,
    afterRead?: () => Promise<void> | void,
  ): Promise<StrategySyncResult>;
}

/**
 * Creates the per-strategy sync. The row is read before Redis is touched, so
 * a database failure leaves the previous set exactly as it was (the job is
 * retried). The write is the shared store's atomic replace or an UNLINK; a
 * deleted strategy also loses its `:LAST` hash.
 */
export function createStrategySyncer(deps: {
  reader: StrategyReader;
  store: UniverseStore;
  redis: Redis;
  keys: RedisKeys;
  metrics: UniverseMetrics;
  logger: Logger;
}): StrategySyncer {
  const { reader, store, redis, keys, metrics, logger } = deps;
  return {
    async sync(strategyId, afterRead) {
      const row = await reader.fetch(strategyId);
      await afterRead?.();
      const desired = desiredUniverse(row);
      if (desired.invalid.length > 0) {
        metrics.invalidTickers.inc(desired.invalid.length);
        logger.warn(
          {
            strategyId,
            invalidCount: desired.invalid.length,
            invalid: describeInvalid(desired.invalid),
          },
          'strategy universe has elements that are not tickers; left out',
        );
      }
      if (desired.kind === 'set') {
        const { size } = await store.replace(strategyId, desired.tickers);
        metrics.universeUpdates.inc();
        metrics.universeSize.observe(size);
        return { action: 'written', size, invalid: desired.invalid.length };
      }
      const removed = await store.remove(strategyId);
      if (desired.reason === 'deleted') {
        await redis.unlink(keys.stratLast(strategyId));
      }
      if (removed > 0) metrics.universeUpdates.inc();
      return {
        action: removed > 0 ? 'removed' : 'absent',
        reason: desired.reason,
        invalid: desired.invalid.length,
      };
    },
  };
}
