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
import { tickWriterOptions } from './options.js';
import { createTickWriter } from './tick-writer.js';

runMain('tick-writer', async () => {
  const config = loadConfig(process.env);
  const options = tickWriterOptions(config);
  const logger = createAppLogger('tick-writer', config);
  const redis = createRedis(redisTarget(config), {
    role: 'worker',
    logger,
    name: 'tick-writer',
  });
  const registry = createMetricsRegistry();
  const writer = createTickWriter({ options, logger, registry, redis });
  const app = createOpsServer({
    logger,
    registry,
    readiness: () => writer.readiness(),
  });
  createShutdown({
    logger,
    // The drain has its own timeout; the rest (quit Redis, close HTTP) needs seconds at most.
    deadlineMs: options.worker.drainTimeoutMs + 5000,
    steps: [
      { name: 'worker', run: () => writer.stop() },
      { name: 'redis', run: () => closeRedis(redis) },
      { name: 'http', run: () => app.close() },
    ],
  }).install();
  await writer.start();
  const port = await listenOps(app, config.HTTP_PORT);
  logger.info(
    {
      port,
      redis: describeRedisTarget(redisTarget(config)),
      bullmqPrefix: options.bullmqPrefix,
    },
    'tick-writer started',
  );
});
