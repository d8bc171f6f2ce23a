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
import { throttleShadowOptions } from './options.js';
import { createThrottleShadowService } from './service.js';

runMain('throttle-shadow', async () => {
  const config = loadConfig(process.env);
  const options = throttleShadowOptions(config);
  const logger = createAppLogger('throttle-shadow', config);
  const redis = createRedis(redisTarget(config), {
    role: 'command',
    logger,
    name: 'throttle-shadow',
  });
  const registry = createMetricsRegistry();
  const service = createThrottleShadowService({
    options,
    logger,
    registry,
    redis,
  });
  const app = createOpsServer({
    logger,
    registry,
    readiness: service.readiness,
    bodyLimit: options.http.bodyLimit,
    trustProxy: options.http.trustProxy,
  });
  registerThrottleReport(app, service.report);
  if (options.plannerApi.enabled)
    registerPlannerApi(app, {
      planner: service.planner,
      registry,
      apiToken: options.plannerApi.apiToken,
      defaultClaimTtlMs: options.plannerApi.defaultClaimTtlMs,
      rateLimitPerMinute: options.plannerApi.rateLimitPerMinute,
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
  const port = await listenOps(app, options.http.port);
  logger.info(
    {
      port,
      shadow: options.shadow.enabled,
      plannerApi: options.plannerApi.enabled,
      compare: options.compare.enabled
        ? { reference: options.compare.referencePrefix }
        : false,
      redis: describeRedisTarget(redisTarget(config)),
      keyPrefix: options.keyPrefix,
    },
    'throttle-shadow started',
  );
});
