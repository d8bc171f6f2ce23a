import {
  baseEnvSchema,
  durationMs,
  parseEnv,
  positiveInt,
  trustProxySchema,
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
    /** PostgreSQL holding `strategies` (read only). */
    DATABASE_URL: z
      .string()
      .refine(s => /^postgres(ql)?:\/\//.test(s) && URL.canParse(s), {
        message: 'must be a postgres:// or postgresql:// URL',
      })
      .default('postgres://postgres@127.0.0.1:5432/postgres'),

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
    /** Bearer token the API requires; required when the API is enabled. */
    API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Serve the API without a token (local development only). */
    ALLOW_UNAUTHENTICATED: z.stringbool().default(false),
    /** Default lifetime of a claim made through the API. */
    PLANNER_CLAIM_TTL: durationMs('60s'),
    /** Requests per minute one client address may send to the planner API (429 beyond). */
    API_RATE_LIMIT: positiveInt(6000),
    /** Proxies whose X-Forwarded-For names the client (the rate-limit key), e.g. the ingress controller's pod CIDR. */
    TRUST_PROXY: trustProxySchema(),
    /** Largest accepted request body, in bytes (a record call for 20 000 tickers is ~300 kB). */
    HTTP_BODY_LIMIT_BYTES: positiveInt(1024 * 1024),
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
    if (
      cfg.PLANNER_API_ENABLED &&
      !cfg.API_TOKEN &&
      !cfg.ALLOW_UNAUTHENTICATED
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['API_TOKEN'],
        message:
          'required when PLANNER_API_ENABLED=true (or set ALLOW_UNAUTHENTICATED=true for local use)',
      });
    }
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
