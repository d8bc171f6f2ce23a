import { closeRedis, createRedis, describeRedisTarget } from '@tickpulse/redis';
import {
  createAppLogger,
  createMetricsRegistry,
  createOpsServer,
  createShutdown,
  listenOps,
  redisTarget,
  runMain,
  type Shutdown,
} from '@tickpulse/service-kit';
import { loadConfig } from './config.js';
import { createIngest } from './ingest.js';

runMain('ingest', async () => {
  const config = loadConfig(process.env);
  const logger = createAppLogger('ingest', config);
  const redis = createRedis(redisTarget(config), {
    role: 'producer',
    logger,
    name: 'ingest',
  });
  const registry = createMetricsRegistry();
  const ingest = createIngest({
    config,
    logger,
    registry,
    redis,
    // auth_failed: exit non-zero once, instead of a reconnect storm.
    onFatal: () => void shutdown.run('fatal').then(code => process.exit(code)),
  });
  const app = createOpsServer({
    logger,
    registry,
    readiness: () => ingest.readiness(),
  });
  const shutdown: Shutdown = createShutdown({
    logger,
    steps: [
      {
        name: 'ingest',
        run: async () => {
          if (!(await ingest.stop()))
            throw new Error('pending ticks were not all published');
        },
      },
      { name: 'redis', run: () => closeRedis(redis) },
      { name: 'http', run: () => app.close() },
    ],
  });
  shutdown.install();
  await ingest.start();
  const port = await listenOps(app, config.HTTP_PORT);
  logger.info(
    { port, redis: describeRedisTarget(redisTarget(config)) },
    'ops server listening',
  );
});
