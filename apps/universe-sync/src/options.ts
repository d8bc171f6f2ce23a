import { describeRedisTarget } from '@tickpulse/redis';
import { redactUrl, redisTarget } from '@tickpulse/service-kit';
import type { Config, loadMigrateConfig } from './config.js';
import type { ConnectionOptions } from './connections.js';
import type { ServiceSettings } from './service.js';

/**
 * Everything universe-sync's root wires, in option groups. The env names
 * stop at this file: no module below `main.ts` sees one, so renaming a
 * variable touches `config.ts` and the mapping here only.
 */
export function universeSyncOptions(config: Config) {
  const redis = redisTarget(config);
  return {
    keyPrefix: config.REDIS_KEY_PREFIX,
    httpPort: config.HTTP_PORT,
    trustProxy: config.TRUST_PROXY,
    service: serviceSettings(config),
    connections: {
      redis,
      postgres: {
        url: config.DATABASE_URL,
        max: config.PG_POOL_MAX,
        connectTimeoutMs: config.PG_CONNECT_TIMEOUT,
      },
    } satisfies ConnectionOptions,
    api: {
      token: config.API_TOKEN,
      bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
      rateLimitPerMinute: config.API_RATE_LIMIT,
    },
    // What the 'listening' line shows: the targets without their secrets.
    startup: {
      database: redactUrl(config.DATABASE_URL),
      redis: describeRedisTarget(redis),
    },
  };
}

/** The service's settings (the knobs tests turn stay at their defaults). */
function serviceSettings(config: Config): ServiceSettings {
  return {
    bullmqPrefix: config.BULLMQ_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    reconcileIntervalMs: config.RECONCILE_INTERVAL,
    reconcileOnStart: config.RECONCILE_ON_START,
    reconcilePageSize: config.RECONCILE_PAGE_SIZE,
    reconcileFullCheckEvery: config.RECONCILE_FULL_CHECK_EVERY,
    listen: config.LISTEN_NOTIFY,
    databaseUrl: config.DATABASE_URL,
    notifyChannel: config.PG_NOTIFY_CHANNEL,
    notifyMaxPending: config.NOTIFY_MAX_PENDING,
    footprintIntervalMs: config.REDIS_FOOTPRINT_INTERVAL,
    footprintBudgetBytes: config.REDIS_FOOTPRINT_BUDGET_BYTES,
  };
}

/** What the `migrate` command reads, mapped the same way. */
export function migrateOptions(config: ReturnType<typeof loadMigrateConfig>) {
  return {
    logLevel: config.LOG_LEVEL,
    databaseUrl: config.DATABASE_URL,
    notifyChannel: config.PG_NOTIFY_CHANNEL,
  };
}
