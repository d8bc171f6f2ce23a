import {
  closeRedis,
  createKeys,
  createLogger,
  createMetricsRegistry,
  createOpsServer,
  createRedis,
  createShutdown,
  listenOps,
  describeRedisTarget,
  redactUrl,
  redisTarget,
  runMain,
  type RedisClient,
} from '@tickpulse/shared';
import { loadConfig } from './config.js';
import { createPgPool } from './db.js';
import { registerApi } from './http/api.js';
import { createUniverseSyncService } from './service.js';

/** Resolves once the client is connected (fail-fast clients reject commands before that). */
function ready(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise(resolve => client.once('ready', () => resolve()));
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({
    service: 'universe-sync',
    level: config.LOG_LEVEL,
  });
  if (config.ALLOW_UNAUTHENTICATED && !config.API_TOKEN) {
    logger.warn(
      'ALLOW_UNAUTHENTICATED=true: the /v1 API accepts requests without a token (local use only)',
    );
  }
  const target = redisTarget(config);
  const connect = (
    role: 'worker' | 'producer' | 'command',
    name: string,
    autoResend = true,
  ) => createRedis(target, { role, logger, name, autoResend });
  const redis = {
    command: connect('command', 'universe-command'),
    producer: connect('producer', 'universe-producer'),
    worker: connect('worker', 'universe-worker'),
    // Reconcile's WATCH must not be lost to a resend on a new connection.
    reconcile: connect('producer', 'universe-reconcile', false),
  };
  const registry = createMetricsRegistry();
  const pool = createPgPool({
    url: config.DATABASE_URL,
    max: config.PG_POOL_MAX,
    connectTimeoutMs: config.PG_CONNECT_TIMEOUT,
    logger: logger.child({ component: 'pg' }),
    onIdleError: () => service.metrics.errors.inc({ where: 'pg_idle' }),
  });
  const service = createUniverseSyncService({
    settings: {
      bullmqPrefix: config.BULLMQ_PREFIX,
      concurrency: config.WORKER_CONCURRENCY,
      reconcileIntervalMs: config.RECONCILE_INTERVAL,
      reconcileOnStart: config.RECONCILE_ON_START,
      reconcilePageSize: config.RECONCILE_PAGE_SIZE,
      reconcileFullCheckEvery: config.RECONCILE_FULL_CHECK_EVERY,
      listen: config.LISTEN_NOTIFY,
      databaseUrl: config.DATABASE_URL,
      notifyChannel: config.PG_NOTIFY_CHANNEL,
      footprintIntervalMs: config.REDIS_FOOTPRINT_INTERVAL,
      footprintBudgetBytes: config.REDIS_FOOTPRINT_BUDGET_BYTES,
    },
    logger,
    registry,
    keys: createKeys(config.REDIS_KEY_PREFIX),
    redis,
    pool,
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
      { name: 'postgres', run: () => pool.end() },
      {
        name: 'redis',
        run: () => Promise.all(Object.values(redis).map(c => closeRedis(c))),
      },
    ],
  }).install();

  await Promise.all([ready(redis.producer), ready(redis.reconcile)]);
  await service.start();
  const port = await listenOps(app, config.HTTP_PORT);
  logger.info(
    {
      port,
      database: redactUrl(config.DATABASE_URL),
      redis: describeRedisTarget(target),
    },
    'universe-sync listening',
  );
}

runMain('universe-sync', main);
