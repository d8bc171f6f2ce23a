import {
  apiEnv,
  baseEnvSchema,
  databaseEnv,
  durationMs,
  DEFAULT_GLOBAL_PLAN_CHUNK,
  httpBodyLimitBytes,
  parseEnv,
  positiveInt,
  requireApiToken,
} from '@tickpulse/shared';
import { z } from 'zod';

/** Default HTTP port: every tickpulse app runs on one machine without configuration. */
export const DEFAULT_HTTP_PORT = 9104;

export const ConfigSchema = z
  .object({
    ...baseEnvSchema(DEFAULT_HTTP_PORT),

    // --- shadow comparison --------------------------------------------------
    /** Runs the shadow loop (plans every active strategy, records nothing). Off: health/metrics only. */
    THROTTLE_SHADOW_ENABLED: z.stringbool().default(false),
    /** Time between shadow cycles; the Go strategy loop runs every 10 s. */
    SHADOW_INTERVAL: durationMs('10s'),
    // DATABASE_URL: PostgreSQL holding `strategies` (read only).
    ...databaseEnv(),

    // --- namespace comparison (cutover) -------------------------------------
    /** Compares this app's namespace (REDIS_KEY_PREFIX, the shadow) with COMPARE_REFERENCE_PREFIX periodically. */
    COMPARE_ENABLED: z.stringbool().default(false),
    /** The reference namespace: empty = the unprefixed keys the Go service writes. */
    COMPARE_REFERENCE_PREFIX: z
      .string()
      .regex(/^[^\s]*$/, 'must not contain whitespace')
      .default(''),
    /** Time between comparisons; each reads all of TICK:UPD and STRAT:*:UNIV of both namespaces in pages. */
    COMPARE_INTERVAL: durationMs('60s'),

    // --- planner API --------------------------------------------------------
    /** Serves POST /v1/plan, /v1/record, /v1/release for the Go alert service. */
    PLANNER_API_ENABLED: z.stringbool().default(false),
    // API_TOKEN (required when the API is enabled), ALLOW_UNAUTHENTICATED,
    // API_RATE_LIMIT (6000 per minute), TRUST_PROXY.
    ...apiEnv(6000),
    /** Default lifetime of a claim made through the API. */
    PLANNER_CLAIM_TTL: durationMs('60s'),
    /**
     * TICK:UPD members per script call when planning a global strategy:
     * bounds how long one plan holds Redis however large TICK:UPD grows.
     */
    PLANNER_GLOBAL_CHUNK: positiveInt(DEFAULT_GLOBAL_PLAN_CHUNK),
    /** Largest accepted request body, in bytes (a record call for 20 000 tickers is ~300 kB). */
    HTTP_BODY_LIMIT_BYTES: httpBodyLimitBytes({ default: 1024 * 1024 }),
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
