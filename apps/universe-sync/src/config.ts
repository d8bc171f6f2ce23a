import {
  baseEnvSchema,
  durationMs,
  parseEnv,
  positiveInt,
  trustProxySchema,
} from '@tickpulse/shared';
import { z } from 'zod';

/** Default `HTTP_PORT` of universe-sync (every app has its own, so all run on one machine). */
export const DEFAULT_HTTP_PORT = 9103;

/** A PostgreSQL identifier usable as a LISTEN channel and a trigger argument without quoting. */
const CHANNEL_RE = /^[a-z_][a-z0-9_]{0,62}$/;

const postgresUrl = z
  .string()
  .refine(s => /^postgres(ql)?:\/\//.test(s) && URL.canParse(s), {
    message: 'must be a postgres:// or postgresql:// URL',
  });

/** Every environment variable universe-sync reads. */
export const ConfigSchema = z
  .object({
    ...baseEnvSchema(DEFAULT_HTTP_PORT),

    // ---- PostgreSQL ----
    /** The database holding the `strategies` table (read-only, plus the optional trigger). */
    DATABASE_URL: postgresUrl.default(
      'postgres://postgres@127.0.0.1:5432/postgres',
    ),
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
    /** Bearer token the /v1 API requires; compared in constant time, never logged. */
    API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Serve the /v1 API without a token. Local development only. */
    ALLOW_UNAUTHENTICATED: z.stringbool().default(false),
    /** Requests per minute one client address may send to /v1 (429 beyond). */
    API_RATE_LIMIT: z.coerce.number().int().positive().default(600),
    /** Proxies whose X-Forwarded-For names the client (the rate-limit key), e.g. the ingress controller's pod CIDR. */
    TRUST_PROXY: trustProxySchema(),
    /** Largest accepted /v1 request body, in bytes. */
    API_BODY_LIMIT: z.coerce
      .number()
      .int()
      .min(256)
      .max(1_048_576)
      .default(4096),
  })
  .superRefine((cfg, ctx) => {
    if (!cfg.API_TOKEN && !cfg.ALLOW_UNAUTHENTICATED) {
      ctx.addIssue({
        code: 'custom',
        path: ['API_TOKEN'],
        message:
          'is required (or set ALLOW_UNAUTHENTICATED=true for local use only)',
      });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;

/**
 * Validates universe-sync's environment.
 *
 * @throws ConfigError listing every bad or missing variable.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(ConfigSchema, env, 'universe-sync');
}

/** The variables the `migrate` command reads (no token needed to migrate). */
export const MigrateConfigSchema = z.object({
  LOG_LEVEL: baseEnvSchema(DEFAULT_HTTP_PORT).LOG_LEVEL,
  DATABASE_URL: postgresUrl.default(
    'postgres://postgres@127.0.0.1:5432/postgres',
  ),
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
