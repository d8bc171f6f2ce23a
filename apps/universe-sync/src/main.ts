import { createKeys } from '@tickpulse/contracts';
import { describeRedisTarget } from '@tickpulse/redis';
import {
  createAppLogger,
  createMetricsRegistry,
  createOpsServer,
  createShutdown,
  listenOps,
  redactUrl,
  redisTarget,
  runMain,
} from '@tickpulse/service-kit';
import { loadConfig } from './config.js';
import { openConnections } from './connections.js';
import { registerApi } from './http/api.js';
import { createUniverseSyncService, serviceSettings } from './service.js';

runMain('universe-sync', async () => {
  const config = loadConfig(process.env);
  const logger = createAppLogger('universe-sync', config);
  const conn = openConnections(config, logger, () =>
    service.metrics.errors.inc({ where: 'pg_idle' }),
  );
  const registry = createMetricsRegistry();
  const service = createUniverseSyncService({
    settings: serviceSettings(config),
    logger,
    registry,
    keys: createKeys(config.REDIS_KEY_PREFIX),
    redis: conn.redis,
    pool: conn.pool,
  });
  const app = createOpsServer({
    logger,
    registry,
    readiness: () => service.readiness(),
    trustProxy: config.TRUST_PROXY,
  });
  await registerApi(app, {
    queue: service.queue,
    reader: service.reader,
    store: service.store,
    metrics: service.metrics,
    logger: logger.child({ component: 'api' }),
    token: config.API_TOKEN,
    bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
    rateLimitPerMinute: config.API_RATE_LIMIT,
  });
  createShutdown({
    logger,
    steps: [
      { name: 'http', run: () => app.close() },
      { name: 'service', run: () => service.stop() },
      { name: 'postgres', run: () => conn.pool.end() },
      { name: 'redis', run: () => conn.closeRedis() },
    ],
  }).install();
  await conn.ready();
  await service.start();
  const port = await listenOps(app, config.HTTP_PORT);
  logger.info(
    {
      port,
      database: redactUrl(config.DATABASE_URL),
      redis: describeRedisTarget(redisTarget(config)),
    },
    'universe-sync listening',
  );
});
