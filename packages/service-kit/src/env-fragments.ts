import { z } from 'zod';
import { trustProxySchema } from './config.js';

/**
 * Schema fragments of the variables several apps read, spread into an app's
 * `z.object({ ...baseEnvSchema(port), ...databaseEnv(), … })` so that one
 * variable means the same thing, with the same validation, everywhere.
 */

/** The database every tickpulse app and the CLI default to (a local PostgreSQL). */
export const DEFAULT_DATABASE_URL =
  'postgres://postgres@127.0.0.1:5432/postgres';

const postgresUrl = z
  .string()
  .refine(s => /^postgres(ql)?:\/\//.test(s) && URL.canParse(s), {
    message: 'must be a postgres:// or postgresql:// URL',
  });

/** `DATABASE_URL`: the PostgreSQL holding the `strategies` table. */
export const databaseEnv = () => ({
  DATABASE_URL: postgresUrl
    .default(DEFAULT_DATABASE_URL)
    .meta({ accepts: '`postgres://` or `postgresql://` URL' })
    .describe('the PostgreSQL holding the `strategies` table'),
});

/**
 * The variables of a tickpulse `/v1` API: its bearer token, the explicit
 * opt-out of it, the per-client rate limit and whose `X-Forwarded-For` names
 * the client. Pair with `requireApiToken` in the app's `superRefine`.
 *
 * @param rateLimitPerMinute the app's default `API_RATE_LIMIT`.
 */
export const apiEnv = (rateLimitPerMinute: number) => ({
  API_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe(
      'bearer token of the /v1 API (≥ 16 characters; compared in constant time, never logged). **Required** (throttle-shadow: when `PLANNER_API_ENABLED=true`) unless `ALLOW_UNAUTHENTICATED=true`',
    ),
  ALLOW_UNAUTHENTICATED: z
    .stringbool()
    .default(false)
    .describe(
      'serve the /v1 API without a token — local development only; logged as a warning at start',
    ),
  API_RATE_LIMIT: z.coerce
    .number()
    .int()
    .positive()
    .default(rateLimitPerMinute)
    .describe(
      'requests per minute one client address may send to the /v1 API; 429 with `retry-after` beyond (per replica)',
    ),
  TRUST_PROXY: trustProxySchema().describe(
    'peers whose `X-Forwarded-For` names the client (the rate-limit key): `false`, a comma-separated list of addresses/CIDRs (or `loopback`, `linklocal`, `uniquelocal`), a hop count, or `true` (anyone — lets a client pick its own key; avoid)',
  ),
});

/**
 * The rule of `apiEnv`: an API serves only with a token, unless
 * `ALLOW_UNAUTHENTICATED=true` says on purpose that it may not.
 *
 * @param when why the API is on, for the message (e.g.
 *   `PLANNER_API_ENABLED=true`); unset for an API that is always served.
 */
export function requireApiToken(
  cfg: { API_TOKEN?: string | undefined; ALLOW_UNAUTHENTICATED: boolean },
  ctx: Pick<z.core.$RefinementCtx, 'addIssue'>,
  when?: string,
): void {
  if (cfg.API_TOKEN || cfg.ALLOW_UNAUTHENTICATED) return;
  ctx.addIssue({
    code: 'custom',
    path: ['API_TOKEN'],
    message: `is required${when ? ` when ${when}` : ''} (or set ALLOW_UNAUTHENTICATED=true for local use only)`,
  });
}

/**
 * `HTTP_BODY_LIMIT_BYTES`: the largest request body the app's API accepts.
 *
 * @param bounds the app's default and the range it allows.
 */
export const httpBodyLimitBytes = (bounds: {
  default: number;
  min?: number;
  max?: number;
}) =>
  z.coerce
    .number()
    .int()
    .min(bounds.min ?? 1)
    .max(bounds.max ?? Number.MAX_SAFE_INTEGER)
    .default(bounds.default);
