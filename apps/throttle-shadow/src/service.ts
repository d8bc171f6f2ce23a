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
import type { ThrottleShadowOptions } from './options.js';
import { createReadiness, registerFeatureFlags } from './readiness.js';
import { createShadow, SHADOW_SUMMARY_COUNTERS } from './shadow.js';
import { createStrategySource } from './strategy-source.js';
import type { ThrottleReport } from './throttle-models.js';

/** The option groups the service reads (main keeps the HTTP server's). */
export type ThrottleShadowServiceOptions = Pick<
  ThrottleShadowOptions,
  'keyPrefix' | 'shadow' | 'compare' | 'planner'
> & { plannerApi: Pick<ThrottleShadowOptions['plannerApi'], 'enabled'> };

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
 * Builds what the options turn on: the shadow loop (`shadow.enabled`, with
 * its own small PostgreSQL pool), the namespace comparison
 * (`compare.enabled`) and the counter summary. Nothing runs until `start()`.
 */
export function createThrottleShadowService(deps: {
  options: ThrottleShadowServiceOptions;
  logger: Logger;
  registry: Registry;
  redis: RedisClient;
}): ThrottleShadowService {
  const { options, logger, registry, redis } = deps;
  const keys = createKeys(options.keyPrefix);
  const planner = createThrottlePlanner(redis, keys, {
    globalChunk: options.planner.globalChunk,
  });
  registerFeatureFlags(registry, {
    shadow: options.shadow.enabled,
    plannerApi: options.plannerApi.enabled,
  });

  let pool: Pool | null = null;
  let shadow: ReturnType<typeof createShadow> | null = null;
  if (options.shadow.enabled) {
    pool = new Pool({ connectionString: options.shadow.databaseUrl, max: 2 });
    pool.on('error', err =>
      logger.warn({ err }, 'idle PostgreSQL client error'),
    );
    shadow = createShadow({
      redis,
      keys,
      source: createStrategySource(pool),
      registry,
      logger,
      intervalMs: options.shadow.intervalMs,
    });
  }

  const compare = options.compare.enabled
    ? createCompareExporter({
        redis,
        reference: createKeys(options.compare.referencePrefix),
        shadow: keys,
        registry,
        logger: logger.child({ component: 'compare' }),
        intervalMs: options.compare.intervalMs,
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
      plannerApi: options.plannerApi.enabled,
      intervalMs: options.shadow.intervalMs,
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
