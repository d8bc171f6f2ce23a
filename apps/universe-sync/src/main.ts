import { createKeys } from '@tickpulse/contracts';
import {
  createAppLogger,
  createMetricsRegistry,
  createOpsServer,
  createShutdown,
  listenOps,
  runMain,
} from '@tickpulse/service-kit';
import { loadConfig } from './config.js';
import { openConnections } from './connections.js';
import { registerApi } from './http/api.js';
import { universeSyncOptions } from './options.js';
import { createUniverseSyncService } from './service.js';

runMain('universe-sync', async () => {
  const config = loadConfig(process.env);
  const options = universeSyncOptions(config);
  const logger = createAppLogger('universe-sync', config);
  const conn = openConnections(options.connections, logger, () =>
    service.metrics.errors.inc({ where: 'pg_idle' }),
  );
  const registry = createMetricsRegistry();
  const service = createUniverseSyncService({
    settings: options.service,
    logger,
    registry,
    keys: createKeys(options.keyPrefix),
    redis: conn.redis,
    pool: conn.pool,
  });
  const app = createOpsServer({
    logger,
    registry,
    readiness: () => service.readiness(),
    trustProxy: options.trustProxy,
  });
  await registerApi(app, {
    queue: service.queue,
    reader: service.reader,
    store: service.store,
    metrics: service.metrics,
    logger: logger.child({ component: 'api' }),
    ...options.api,
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
  const port = await listenOps(app, options.httpPort);
  logger.info({ port, ...options.startup }, 'universe-sync listening');
});
