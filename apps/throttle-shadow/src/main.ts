import { closeRedis, createRedis, describeRedisTarget } from '@tickpulse/redis';
import {
  createAppLogger,
  createMetricsRegistry,
  createOpsServer,
  createShutdown,
  listenOps,
  redisTarget,
  runMain,
} from '@tickpulse/service-kit';
import { loadConfig } from './config.js';
import { registerPlannerApi } from './http/planner-api.js';
import { registerThrottleReport } from './http/report-route.js';
import { createThrottleShadowService } from './service.js';

runMain('throttle-shadow', async () => {
  const config = loadConfig(process.env);
  const logger = createAppLogger('throttle-shadow', config);
  const redis = createRedis(redisTarget(config), {
    role: 'command',
    logger,
    name: 'throttle-shadow',
  });
  const registry = createMetricsRegistry();
  const service = createThrottleShadowService({
    config,
    logger,
    registry,
    redis,
  });
  const app = createOpsServer({
    logger,
    registry,
    readiness: service.readiness,
    bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
  });
  registerThrottleReport(app, service.report);
  if (config.PLANNER_API_ENABLED)
    registerPlannerApi(app, {
      planner: service.planner,
      registry,
      apiToken: config.API_TOKEN ?? null,
      defaultClaimTtlMs: config.PLANNER_CLAIM_TTL,
      rateLimitPerMinute: config.API_RATE_LIMIT,
    });
  createShutdown({
    logger,
    steps: [
      { name: 'http', run: () => app.close() },
      { name: 'service', run: () => service.stop() },
      { name: 'redis', run: () => closeRedis(redis) },
    ],
  }).install();
  await service.start();
  const port = await listenOps(app, config.HTTP_PORT);
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
});
