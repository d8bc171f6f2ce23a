import {
  closeRedis,
  createLogger,
  createMetricsRegistry,
  createOpsServer,
  createRedis,
  createKeys,
  createShutdown,
  createThrottlePlanner,
  listenOps,
  describeRedisTarget,
  redisTarget,
  runMain,
  startCounterSummary,
} from '@tickpulse/shared';
import { Pool } from 'pg';
import { loadConfig } from './config.js';
import { createCompareExporter } from './compare-exporter.js';
import { registerPlannerApi } from './http/planner-api.js';
import { createReadiness, registerFeatureFlags } from './readiness.js';
import { createShadow, SHADOW_SUMMARY_COUNTERS } from './shadow.js';
import { createStrategySource } from './strategy-source.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({
    service: 'throttle-shadow',
    level: config.LOG_LEVEL,
  });
  const redis = createRedis(redisTarget(config), {
    role: 'command',
    logger,
    name: 'throttle-shadow',
  });
  const registry = createMetricsRegistry();
  const keys = createKeys(config.REDIS_KEY_PREFIX);
  const planner = createThrottlePlanner(redis, keys);
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
      planner,
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

  const app = createOpsServer({
    logger,
    registry,
    bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    readiness: createReadiness({
      redis,
      shadow,
      plannerApi: config.PLANNER_API_ENABLED,
      intervalMs: config.SHADOW_INTERVAL,
    }),
  });
  if (config.PLANNER_API_ENABLED) {
    if (!config.API_TOKEN)
      logger.warn(
        'planner API serving WITHOUT authentication (ALLOW_UNAUTHENTICATED=true)',
      );
    registerPlannerApi(app, {
      planner,
      registry,
      apiToken: config.API_TOKEN ?? null,
      defaultClaimTtlMs: config.PLANNER_CLAIM_TTL,
      rateLimitPerMinute: config.API_RATE_LIMIT,
    });
  }

  const port = await listenOps(app, config.HTTP_PORT);
  await shadow?.start();
  compare?.start();
  const stopSummary = startCounterSummary({
    logger,
    registry,
    counters: SHADOW_SUMMARY_COUNTERS,
    extra: () => ({ lastCycle: shadow?.lastCycle() ?? null }),
  });
  logger.info(
    {
      port,
      shadow: config.THROTTLE_SHADOW_ENABLED,
      plannerApi: config.PLANNER_API_ENABLED,
      compare: config.COMPARE_ENABLED
        ? { reference: config.COMPARE_REFERENCE_PREFIX }
        : false,
      redis: describeRedisTarget(redisTarget(config)),
      keyPrefix: config.REDIS_KEY_PREFIX,
    },
    'throttle-shadow started',
  );

  createShutdown({
    logger,
    steps: [
      { name: 'stop shadow', run: () => shadow?.stop() },
      { name: 'stop compare', run: () => compare?.stop() },
      { name: 'stop summary', run: stopSummary },
      { name: 'close http', run: () => app.close() },
      { name: 'close postgres', run: () => pool?.end() },
      { name: 'close redis', run: () => closeRedis(redis) },
    ],
  }).install();
}

runMain('throttle-shadow', main);
