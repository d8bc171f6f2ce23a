import {
  apiEnv,
  baseEnvSchema,
  databaseEnv,
  duration,
  httpBodyLimitBytes,
  parseEnv,
  positiveInt,
  requireApiToken,
} from '@tickpulse/service-kit';
import { z } from 'zod';

/** Default `HTTP_PORT` of universe-sync (every app has its own, so all run on one machine). */
export const DEFAULT_HTTP_PORT = 9103;

/** A PostgreSQL identifier usable as a LISTEN channel and a trigger argument without quoting. */
const CHANNEL_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/** Every environment variable universe-sync reads. */
export const ConfigSchema = z
  .object({
    ...baseEnvSchema(DEFAULT_HTTP_PORT),

    // ---- PostgreSQL ----
    // DATABASE_URL: the `strategies` table (read-only, plus the optional trigger).
    ...databaseEnv(),
    PG_POOL_MAX: positiveInt(5).describe('query pool size'),
    PG_CONNECT_TIMEOUT: duration('5s').describe(
      'a query that cannot connect within this fails (the job retries)',
    ),
    LISTEN_NOTIFY: z
      .stringbool()
      .default(true)
      .describe(
        "LISTEN for the trigger's notifications; LISTEN runs only while the trigger is installed for `PG_NOTIFY_CHANNEL` (checked at start and every 60 s while absent)",
      ),
    PG_NOTIFY_CHANNEL: z
      .string()
      .regex(CHANNEL_RE, 'must be a lower-case identifier (a-z, 0-9, _)')
      .default('tickpulse_strategies')
      .describe('channel (lower-case identifier); `migrate` uses it too'),
    /**
     * Most notified strategy ids waiting to be enqueued. Any role may NOTIFY,
     * so past it the waiting ids are dropped for one reconcile instead of a
     * job each (a bulk edit of more strategies is also cheaper that way).
     */
    NOTIFY_MAX_PENDING: positiveInt(1000).describe(
      'most notified strategy ids waiting to be enqueued; past it they are dropped for one reconcile',
    ),

    // ---- worker and reconcile ----
    WORKER_CONCURRENCY: positiveInt(8).describe(
      'sync and reconcile jobs processed at once by one replica',
    ),
    RECONCILE_INTERVAL: duration('15m').describe(
      'period of the scheduled reconcile (a BullMQ job scheduler shared by all replicas)',
    ),
    RECONCILE_ON_START: z
      .stringbool()
      .default(true)
      .describe('enqueue a reconcile at start-up'),
    RECONCILE_PAGE_SIZE: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(500)
      .describe('strategies per reconcile page / transaction'),
    RECONCILE_FULL_CHECK_EVERY: z.coerce
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(4)
      .describe(
        'each reconcile compares the members of 1 strategy in N regardless of its fingerprint (1 = all every run, 0 = never)',
      ),

    // ---- Redis footprint ----
    REDIS_FOOTPRINT_INTERVAL: duration('1m').describe(
      'period of the sampled `tickpulse_redis_footprint_bytes` gauge (see [Footprint](operations.md#footprint))',
    ),
    REDIS_FOOTPRINT_BUDGET_BYTES: positiveInt(400_000_000).describe(
      'budget exported as `tickpulse_redis_footprint_budget_bytes` for `TickpulseRedisFootprintOverBudget`',
    ),

    // ---- HTTP API ----
    // API_TOKEN, ALLOW_UNAUTHENTICATED, API_RATE_LIMIT (600 per minute), TRUST_PROXY.
    ...apiEnv(600),
    HTTP_BODY_LIMIT_BYTES: httpBodyLimitBytes({
      default: 4096,
      min: 256,
      max: 1_048_576,
    }).describe('largest /v1 request body in bytes'),
  })
  .superRefine((cfg, ctx) => requireApiToken(cfg, ctx));

/** Deprecated variable names, still read (with a warning) under their new names. */
export const RENAMED_ENV = { API_BODY_LIMIT: 'HTTP_BODY_LIMIT_BYTES' };

export type Config = z.infer<typeof ConfigSchema>;

/**
 * Validates universe-sync's environment.
 *
 * @throws ConfigError listing every bad or missing variable.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(ConfigSchema, env, 'universe-sync', RENAMED_ENV);
}

/** The variables the `migrate` command reads (no token needed to migrate). */
export const MigrateConfigSchema = z.object({
  LOG_LEVEL: baseEnvSchema(DEFAULT_HTTP_PORT).LOG_LEVEL,
  ...databaseEnv(),
  PG_NOTIFY_CHANNEL: z
    .string()
    .regex(CHANNEL_RE, 'must be a lower-case identifier (a-z, 0-9, _)')
    .default('tickpulse_strategies'),
});

/** Validates the `migrate` command's environment. */
export function loadMigrateConfig(
  env: Record<string, string | undefined>,
): z.infer<typeof MigrateConfigSchema> {
  return parseEnv(MigrateConfigSchema, env, 'universe-sync migrate');
}
