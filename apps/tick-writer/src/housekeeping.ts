import type { RedisKeys } from '@tickpulse/contracts';
import { createDataLossWatch, type RedisClient } from '@tickpulse/redis';
import { startCounterSummary, type Logger } from '@tickpulse/service-kit';
import type { Queue } from 'bullmq';
import type { Registry } from 'prom-client';
import type { FreshnessWindow } from './freshness-window.js';
import { SUMMARY_COUNTERS } from './metrics.js';
import { scheduleRetention } from './retention.js';

/**
 * Starts the data-loss watch and the counter summary. Each stop function is
 * handed to `track` as soon as its timer exists, so a start that fails half
 * way still leaves nothing running after shutdown.
 */
export async function startHousekeeping(
  deps: {
    redis: RedisClient;
    keys: RedisKeys;
    logger: Logger;
    registry: Registry;
    maintenanceQueue: Queue;
    retentionIntervalMs: number;
    summaryIntervalMs: number;
    freshness: FreshnessWindow;
  },
  track: (stop: () => void) => void,
): Promise<void> {
  // The retention scheduler lives in Redis: an emptied Redis drops it, and
  // nothing else would re-create it before the next pod restart.
  const dataLoss = createDataLossWatch({
    redis: deps.redis,
    keys: deps.keys,
    logger: deps.logger,
    registry: deps.registry,
    onDataLoss: () =>
      scheduleRetention(deps.maintenanceQueue, deps.retentionIntervalMs),
  });
  track(() => dataLoss.stop());
  await dataLoss.start();

  track(
    startCounterSummary({
      logger: deps.logger,
      registry: deps.registry,
      counters: SUMMARY_COUNTERS,
      intervalMs: deps.summaryIntervalMs,
      extra: () => ({ freshness: deps.freshness.take() }),
    }),
  );
}
