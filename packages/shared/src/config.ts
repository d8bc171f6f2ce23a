import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError } from './errors.js';

const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
] as const;

const redisUrl = z
  .string()
  .refine(s => /^rediss?:\/\/[^\s]*$/.test(s) && URL.canParse(s), {
    message: 'must be a redis:// or rediss:// URL',
  });

/** A TCP port; 0 asks the OS for a free one (tests). */
export const portSchema = (defaultPort: number) =>
  z.coerce.number().int().min(0).max(65535).default(defaultPort);

/** Positive integer with a default, from a string variable. */
export const positiveInt = (defaultValue: number) =>
  z.coerce.number().int().positive().default(defaultValue);

/**
 * Variables every app reads (design.md "Operator interface").
 *
 * @param defaultPort the app's own default `HTTP_PORT`, so that every app can
 *   run on one machine without configuration.
 */
export function baseEnvSchema(defaultPort: number) {
  return {
    /** Redis holding TICK:UPD, STRAT:* and the BullMQ queues. */
    REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
    /** pino level. */
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    /** Port of /healthz, /readyz, /metrics (and the app's API, if any). */
    HTTP_PORT: portSchema(defaultPort),
    /** Namespace prepended to every tickpulse key; empty in production. */
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[^\s]*$/, 'must not contain whitespace')
      .default(''),
    /** BullMQ key prefix; hash-tag it (`{tickpulse}`) on Redis Cluster. */
    BULLMQ_PREFIX: z
      .string()
      .regex(/^[^\s:]+$/, 'must be non-empty, without whitespace or ":"')
      .default('bull'),
  };
}

/**
 * Validates environment variables against a schema. Unset and empty
 * variables both take the default, so `HTTP_PORT=` in a manifest is not 0.
 *
 * @throws ConfigError listing every bad or missing variable at once.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  service?: string,
): z.infer<S> {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (v !== undefined && v !== '') cleaned[k] = v;
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map(issue => {
    const name = issue.path.length > 0 ? issue.path.join('.') : '(config)';
    const given =
      issue.path.length === 1 ? cleaned[String(issue.path[0])] : undefined;
    const shown =
      given === undefined
        ? 'not set'
        : isSecretName(name)
          ? 'given'
          : `got ${JSON.stringify(given)}`;
    return `${name}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(problems, service);
}

/** Names whose values are never echoed back, even in an error. */
function isSecretName(name: string): boolean {
  return /KEY|TOKEN|SECRET|PASSWORD|_URL$/.test(name);
}

/**
 * The longest delay Node's timers honour (2^31 − 1 ms, about 24.8 days).
 * `setTimeout`/`setInterval` treat anything larger as 1 ms, so an interval of
 * `600h` would fire a thousand times a second; every duration tickpulse reads
 * is bounded by this.
 */
export const MAX_DURATION_MS = 2_147_483_647;

const TOO_LONG = `must be at most ${MAX_DURATION_MS} ms (about 24.8 days; Node's timers fire at once beyond that)`;

/**
 * A whole number of milliseconds from a `*_MS` variable, 1 … MAX_DURATION_MS.
 *
 * @param defaultValue used when the variable is unset.
 */
export const milliseconds = (defaultValue: number) =>
  z.coerce
    .number()
    .int()
    .positive()
    .max(MAX_DURATION_MS, TOO_LONG)
    .default(defaultValue);

/**
 * Parses a duration like `15m`, `30s`, `1h`, `500ms` or a bare number of ms,
 * 1 ms … MAX_DURATION_MS.
 *
 * @param defaultValue used when the variable is unset, in the same syntax.
 */
export const durationMs = (defaultValue: string) =>
  z
    .string()
    .default(defaultValue)
    .transform((s, ctx) => {
      const m = /^(\d+)(ms|s|m|h)?$/.exec(s.trim());
      if (!m) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a duration like 500ms, 30s, 15m or 1h',
        });
        return z.NEVER;
      }
      const unit =
        { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms'] ?? 1;
      const ms = Number(m[1]) * unit;
      if (ms <= 0) {
        ctx.addIssue({ code: 'custom', message: 'must be greater than zero' });
        return z.NEVER;
      }
      if (ms > MAX_DURATION_MS) {
        ctx.addIssue({ code: 'custom', message: TOO_LONG });
        return z.NEVER;
      }
      return ms;
    });

/** fastify's `trustProxy` as `TRUST_PROXY` sets it (a hop count becomes a function of the hop). */
export type TrustProxy =
  boolean | string[] | ((address: string, hop: number) => boolean);

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrCidr(s: string): boolean {
  if (PROXY_NAMES.has(s)) return true;
  const [addr, bits, ...rest] = s.split('/');
  const family = isIP(addr ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
}

/**
 * `TRUST_PROXY`: which peers may tell the app the client's address through
 * `X-Forwarded-For` (fastify's `trustProxy`), so that the API rate limit is
 * per real client behind an ingress. `false` (default): the socket's peer is
 * the client. A comma-separated list of addresses / CIDRs (or `loopback`,
 * `linklocal`, `uniquelocal`): trust those hops — the ingress controller's
 * pod network. A number: trust that many hops. `true` trusts anyone, which
 * lets any client choose its own rate-limit key: avoid it.
 */
export const trustProxySchema = () =>
  z
    .string()
    .default('false')
    .transform((raw, ctx): TrustProxy => {
      const s = raw.trim();
      if (s === 'false') return false;
      if (s === 'true') return true;
      if (/^\d+$/.test(s)) {
        const hops = Number(s);
        return (_address, hop) => hop < hops;
      }
      const list = s.split(',').map(x => x.trim());
      const bad = list.filter(x => !isAddressOrCidr(x));
      if (bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be true, false, a hop count or a comma-separated list of addresses/CIDRs (bad: ${bad.map(b => JSON.stringify(b.slice(0, 60))).join(', ')})`,
        });
        return z.NEVER;
      }
      return list;
    });
