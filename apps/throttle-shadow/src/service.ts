import { createKeys } from '@tickpulse/contracts';
import { type RedisClient } from '@tickpulse/redis';
import {
  startCounterSummary,
  type Logger,
  type ReadinessProbe,
} from '@tickpulse/service-kit';
import {
  createThrottlePlanner,
  type ThrottlePlanner,
} from '@tickpulse/throttle';
import { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { createCompareExporter } from './compare-exporter.js';
import type { Config } from './config.js';
import { createReadiness, registerFeatureFlags } from './readiness.js';
import { createShadow, SHADOW_SUMMARY_COUNTERS } from './shadow.js';
import { createStrategySource } from './strategy-source.js';
import type { ThrottleReport } from './throttle-models.js';

/** The part of the config the service reads. */
export type ThrottleShadowConfig = Pick<
  Config,
  | 'REDIS_KEY_PREFIX'
  | 'THROTTLE_SHADOW_ENABLED'
  | 'SHADOW_INTERVAL'
  | 'DATABASE_URL'
  | 'COMPARE_ENABLED'
  | 'COMPARE_REFERENCE_PREFIX'
  | 'COMPARE_INTERVAL'
  | 'PLANNER_API_ENABLED'
> &
  Partial<Pick<Config, 'PLANNER_GLOBAL_CHUNK'>>;

/** throttle-shadow's loops behind their flags; the planner API is served by main's HTTP server. */
export interface ThrottleShadowService {
  readonly planner: ThrottlePlanner;
  /** The shadow's report (`GET /throttle-report`); null while the shadow is off. */
  readonly report: ((sinceMs?: number) => ThrottleReport) | null;
  readiness: ReadinessProbe;
  start(): Promise<void>;
  /** Stops the loops and ends the PostgreSQL pool. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Builds what the flags turn on: the shadow loop (THROTTLE_SHADOW_ENABLED,
 * with its own small PostgreSQL pool), the namespace comparison
 * (COMPARE_ENABLED) and the counter summary. Nothing runs until `start()`.
 */
export function createThrottleShadowService(deps: {
  config: ThrottleShadowConfig;
  logger: Logger;
  registry: Registry;
  redis: RedisClient;
}): ThrottleShadowService {
  const { config, logger, registry, redis } = deps;
  const keys = createKeys(config.REDIS_KEY_PREFIX);
  const planner = createThrottlePlanner(redis, keys, {
    globalChunk: config.PLANNER_GLOBAL_CHUNK,
  });
  registerFeatureFlags(registry, {
    shadow: config.THROTTLE_SHADOW_ENABLED,
    plannerApi: config.PLANNER_API_ENABLED,
  });

  let pool: Pool | null = null;
  let shadow: ReturnType<typeof createShadow> | null = null;
  if (config.THROTTLE_SHADOW_ENABLED) {
    pool = new Pool({ connectionString: config.DATABASE_URL, max: 2 });
    pool.on('error', err =>
      logger.warn({ err }, 'idle PostgreSQL client error'),
    );
    shadow = createShadow({
      redis,
      keys,
      source: createStrategySource(pool),
      registry,
      logger,
      intervalMs: config.SHADOW_INTERVAL,
    });
  }

  const compare = config.COMPARE_ENABLED
    ? createCompareExporter({
        redis,
        reference: createKeys(config.COMPARE_REFERENCE_PREFIX),
        shadow: keys,
        registry,
        logger: logger.child({ component: 'compare' }),
        intervalMs: config.COMPARE_INTERVAL,
      })
    : null;

  let stopSummary: (() => void) | undefined;
  let stopping: Promise<void> | undefined;
  const shadowOn = shadow;
  return {
    planner,
    report: shadowOn ? sinceMs => shadowOn.report(sinceMs) : null,
    readiness: createReadiness({
      redis,
      shadow,
      plannerApi: config.PLANNER_API_ENABLED,
      intervalMs: config.SHADOW_INTERVAL,
    }),
    async start() {
      await shadow?.start();
      compare?.start();
      stopSummary = startCounterSummary({
        logger,
        registry,
        counters: SHADOW_SUMMARY_COUNTERS,
        extra: () => ({ lastCycle: shadow?.lastCycle() ?? null }),
      });
    },
    stop: () =>
      (stopping ??= (async () => {
        // Each step runs even when an earlier one fails; the first failure is reported.
        const results = await Promise.allSettled([
          shadow?.stop(),
          compare?.stop(),
          Promise.resolve().then(() => stopSummary?.()),
        ]);
        await pool?.end();
        const failed = results.find(r => r.status === 'rejected');
        if (failed) throw failed.reason;
      })()),
  };
}
