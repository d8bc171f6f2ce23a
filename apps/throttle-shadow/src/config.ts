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
import { DEFAULT_GLOBAL_PLAN_CHUNK } from '@tickpulse/throttle';
import { z } from 'zod';

/** Default HTTP port: every tickpulse app runs on one machine without configuration. */
export const DEFAULT_HTTP_PORT = 9104;

export const ConfigSchema = z
  .object({
    ...baseEnvSchema(DEFAULT_HTTP_PORT),

    // --- shadow comparison --------------------------------------------------
    THROTTLE_SHADOW_ENABLED: z
      .stringbool()
      .default(false)
      .describe(
        'run the shadow comparison (plans every active strategy, records nothing); off: health and metrics only',
      ),
    SHADOW_INTERVAL: duration('10s').describe(
      'time between shadow cycles (the Go strategy loop runs every 10 s)',
    ),
    // DATABASE_URL: PostgreSQL holding `strategies` (read only).
    ...databaseEnv(),

    // --- namespace comparison (cutover) -------------------------------------
    COMPARE_ENABLED: z
      .stringbool()
      .default(false)
      .describe(
        "compare this app's namespace (`REDIS_KEY_PREFIX`) with `COMPARE_REFERENCE_PREFIX` periodically and export `tickpulse_compare_*`",
      ),
    COMPARE_REFERENCE_PREFIX: z
      .string()
      .regex(/^[^\s]*$/, 'must not contain whitespace')
      .default('')
      .describe(
        'reference namespace (empty = the Go-written keys); must differ from `REDIS_KEY_PREFIX` when `COMPARE_ENABLED=true`',
      ),
    COMPARE_INTERVAL: duration('60s').describe(
      'time between comparisons (each reads both namespaces in full, in pages)',
    ),

    // --- planner API --------------------------------------------------------
    PLANNER_API_ENABLED: z
      .stringbool()
      .default(false)
      .describe(
        'serve `/v1/plan`, `/v1/record`, `/v1/release` for the Go alert service',
      ),
    // API_TOKEN (required when the API is enabled), ALLOW_UNAUTHENTICATED,
    // API_RATE_LIMIT (6000 per minute), TRUST_PROXY.
    ...apiEnv(6000),
    PLANNER_CLAIM_TTL: duration('60s').describe(
      'claim lifetime when a plan request names none',
    ),
    PLANNER_GLOBAL_CHUNK: positiveInt(DEFAULT_GLOBAL_PLAN_CHUNK).describe(
      '`TICK:UPD` members one script call filters and claims when planning a global strategy; a plan takes as many calls as it needs, so no single call holds Redis longer than one chunk',
    ),
    HTTP_BODY_LIMIT_BYTES: httpBodyLimitBytes({
      default: 1024 * 1024,
    }).describe(
      'largest request body in bytes (a record call for 20 000 tickers is ~300 kB)',
    ),
  })
  .superRefine((cfg, ctx) => {
    if (
      cfg.COMPARE_ENABLED &&
      cfg.COMPARE_REFERENCE_PREFIX === cfg.REDIS_KEY_PREFIX
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['COMPARE_REFERENCE_PREFIX'],
        message:
          'must differ from REDIS_KEY_PREFIX when COMPARE_ENABLED=true (a namespace compared with itself)',
      });
    }
    if (cfg.PLANNER_API_ENABLED)
      requireApiToken(cfg, ctx, 'PLANNER_API_ENABLED=true');
  });

export type Config = z.infer<typeof ConfigSchema>;

/**
 * Validates the environment.
 *
 * @throws ConfigError listing every bad or missing variable.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(ConfigSchema, env, 'throttle-shadow');
}
