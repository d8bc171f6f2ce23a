import {
  apiEnv,
  baseEnvSchema,
  databaseEnv,
  durationMs,
  httpBodyLimitBytes,
  parseEnv,
  positiveInt,
  requireApiToken,
} from '@tickpulse/shared';
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
    /** Size of the query pool (sync jobs and reconcile pages share it). */
    PG_POOL_MAX: positiveInt(5),
    /** A query that cannot get a connection within this long fails (and the job retries). */
    PG_CONNECT_TIMEOUT: durationMs('5s'),
    /** LISTEN for the trigger's notifications and enqueue a sync per changed strategy. */
    LISTEN_NOTIFY: z.stringbool().default(true),
    /** Channel the trigger installed by `migrate` notifies (strategy id as payload). */
    PG_NOTIFY_CHANNEL: z
      .string()
      .regex(CHANNEL_RE, 'must be a lower-case identifier (a-z, 0-9, _)')
      .default('tickpulse_strategies'),
    /**
     * Most notified strategy ids waiting to be enqueued. Any role may NOTIFY,
     * so past it the waiting ids are dropped for one reconcile instead of a
     * job each (a bulk edit of more strategies is also cheaper that way).
     */
    NOTIFY_MAX_PENDING: positiveInt(1000),

    // ---- worker and reconcile ----
    /** Sync jobs processed in parallel by one replica. */
    WORKER_CONCURRENCY: positiveInt(8),
    /** Period of the full reconcile (a BullMQ job scheduler shared by all replicas). */
    RECONCILE_INTERVAL: durationMs('15m'),
    /** Run a reconcile when the process starts (covers notifications missed while down). */
    RECONCILE_ON_START: z.stringbool().default(true),
    /** Strategies read per reconcile page (keyset pagination on strategyid). */
    RECONCILE_PAGE_SIZE: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(500),
    /** Each reconcile compares the members of 1 strategy in N whatever its stored fingerprint says (1 = all, 0 = never). */
    RECONCILE_FULL_CHECK_EVERY: z.coerce
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(4),

    // ---- Redis footprint ----
    /** How often the footprint gauge is sampled (a bounded number of MEMORY USAGE … SAMPLES 5 calls). */
    REDIS_FOOTPRINT_INTERVAL: durationMs('1m'),
    /** Budget of tickpulse's sampled Redis bytes; exported for the alert rule. */
    REDIS_FOOTPRINT_BUDGET_BYTES: positiveInt(400_000_000),

    // ---- HTTP API ----
    // API_TOKEN, ALLOW_UNAUTHENTICATED, API_RATE_LIMIT (600 per minute), TRUST_PROXY.
    ...apiEnv(600),
    /** Largest accepted /v1 request body, in bytes (formerly `API_BODY_LIMIT`). */
    HTTP_BODY_LIMIT_BYTES: httpBodyLimitBytes({
      default: 4096,
      min: 256,
      max: 1_048_576,
    }),
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
