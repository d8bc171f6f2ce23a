import { loadConfig, loadMigrateConfig } from './config';
import { migrateOptions, universeSyncOptions } from './options';

describe('universe-sync options', () => {
  it('maps every variable to its option', () => {
    const token = 't'.repeat(32);
    const options = universeSyncOptions(
      loadConfig({
        API_TOKEN: token,
        REDIS_URL: 'redis://:redis-secret@10.0.0.7:6390',
        REDIS_KEY_PREFIX: 'k:',
        BULLMQ_PREFIX: '{q}',
        HTTP_PORT: '9333',
        TRUST_PROXY: '10.0.0.0/8',
        DATABASE_URL: 'postgres://u:pg-secret@db.example:5433/strats',
        PG_POOL_MAX: '9',
        PG_CONNECT_TIMEOUT: '7s',
        LISTEN_NOTIFY: 'false',
        PG_NOTIFY_CHANNEL: 'my_channel',
        NOTIFY_MAX_PENDING: '77',
        WORKER_CONCURRENCY: '3',
        RECONCILE_INTERVAL: '2m',
        RECONCILE_ON_START: 'false',
        RECONCILE_PAGE_SIZE: '250',
        RECONCILE_FULL_CHECK_EVERY: '6',
        REDIS_FOOTPRINT_INTERVAL: '45s',
        REDIS_FOOTPRINT_BUDGET_BYTES: '12345',
        API_RATE_LIMIT: '42',
        HTTP_BODY_LIMIT_BYTES: '2048',
      }),
    );
    expect(options).toEqual({
      keyPrefix: 'k:',
      httpPort: 9333,
      trustProxy: ['10.0.0.0/8'],
      service: {
        bullmqPrefix: '{q}',
        concurrency: 3,
        reconcileIntervalMs: 120_000,
        reconcileOnStart: false,
        reconcilePageSize: 250,
        reconcileFullCheckEvery: 6,
        listen: false,
        databaseUrl: 'postgres://u:pg-secret@db.example:5433/strats',
        notifyChannel: 'my_channel',
        notifyMaxPending: 77,
        footprintIntervalMs: 45_000,
        footprintBudgetBytes: 12345,
      },
      connections: {
        redis: {
          mode: 'standalone',
          url: 'redis://:redis-secret@10.0.0.7:6390',
        },
        postgres: {
          url: 'postgres://u:pg-secret@db.example:5433/strats',
          max: 9,
          connectTimeoutMs: 7000,
        },
      },
      api: { token, bodyLimit: 2048, rateLimitPerMinute: 42 },
      startup: {
        database: expect.stringContaining('db.example:5433/strats'),
        redis: expect.stringContaining('10.0.0.7:6390'),
      },
    });
  });

  it('keeps secrets out of the startup summary', () => {
    const { startup } = universeSyncOptions(
      loadConfig({
        API_TOKEN: 't'.repeat(32),
        REDIS_URL: 'redis://:redis-secret@10.0.0.7:6390',
        DATABASE_URL: 'postgres://u:pg-secret@db.example:5433/strats',
      }),
    );
    expect(JSON.stringify(startup)).not.toMatch(/redis-secret|pg-secret/);
  });

  it('maps the migrate command variables', () => {
    expect(
      migrateOptions(
        loadMigrateConfig({
          LOG_LEVEL: 'warn',
          DATABASE_URL: 'postgres://u@db.example:5433/strats',
          PG_NOTIFY_CHANNEL: 'my_channel',
        }),
      ),
    ).toEqual({
      logLevel: 'warn',
      databaseUrl: 'postgres://u@db.example:5433/strats',
      notifyChannel: 'my_channel',
    });
  });
});
