import {
  describeInvalid,
  desiredUniverse,
  type NoSetReason,
  type RedisKeys,
  type StrategyReader,
} from '@tickpulse/contracts';
import { type RedisClient, type UniverseStore } from '@tickpulse/redis';
import { type Logger } from '@tickpulse/service-kit';
import type { MalformedRowReporter } from './malformed-rows.js';
import type { UniverseMetrics } from './metrics.js';

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
 * deleted strategy also loses its `:LAST` hash. A malformed row is no error
 * (retrying cannot fix it): the job completes and removes the set, exactly
 * as the reconcile does for that row (`desiredUniverse`).
 */
export function createStrategySyncer(deps: {
  reader: StrategyReader;
  store: UniverseStore;
  redis: RedisClient;
  keys: RedisKeys;
  metrics: UniverseMetrics;
  logger: Logger;
  /** Shared with the reconcile so a malformed row is logged once, not once per path. */
  malformed: MalformedRowReporter;
}): StrategySyncer {
  const { reader, store, redis, keys, metrics, logger, malformed } = deps;
  return {
    async sync(strategyId, afterRead) {
      const row = await reader.fetch(strategyId);
      await afterRead?.();
      const desired = desiredUniverse(row);
      if (desired.kind === 'none' && desired.reason === 'malformed')
        malformed.report(strategyId, desired.problem!, 'sync');
      else malformed.clear(strategyId);
      // Reconcile's fingerprint for this strategy describes a set it compared;
      // the write below makes that stale. Dropped before the write (a crash in
      // between leaves no stale fingerprint) and again after it (a reconcile
      // batch that committed a fingerprint meanwhile, before WATCH could see
      // this write, loses it), so the next reconcile compares members.
      const fpKey = keys.univFingerprints();
      const fpField = String(strategyId);
      await redis.hdel(fpKey, fpField);
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
        await redis.hdel(fpKey, fpField);
        metrics.universeUpdates.inc();
        metrics.universeSize.observe(size);
        return { action: 'written', size, invalid: desired.invalid.length };
      }
      const removed = await store.remove(strategyId);
      await redis.hdel(fpKey, fpField);
      if (desired.reason === 'deleted') {
        await redis.unlink(...keys.stratEvaluation(strategyId));
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
