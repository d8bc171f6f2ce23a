import { isIP } from 'node:net';
import { z } from 'zod';
import { echoValue } from '@tickpulse/contracts';
import { misspelledVariables } from './env-typos.js';
import { ConfigError } from '@tickpulse/contracts';
import type { HostPort, RedisTarget } from './redis-target.js';

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

/** `host:port,host:port` (IPv6 as `[::1]:6379`); at least one entry. */
const hostPortList = z.string().transform((s, ctx): HostPort[] => {
  const out: HostPort[] = [];
  for (const part of s.split(',').map(p => p.trim())) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(part);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) {
      ctx.addIssue({
        code: 'custom',
        message: `must be host:port entries separated by commas (bad entry ${JSON.stringify(part)})`,
      });
      return z.NEVER;
    }
    out.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return out;
});

/** The default standalone Redis when no topology variable is set. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** `BULLMQ_PREFIX` on Redis Cluster when unset: a hash tag keeps each queue's keys in one slot. */
export const CLUSTER_BULLMQ_PREFIX = '{tickpulse}';

/** A TCP port; 0 asks the OS for a free one (tests). */
export const portSchema = (defaultPort: number) =>
  z.coerce.number().int().min(0).max(65535).default(defaultPort);

/** Positive integer with a default, from a string variable. */
export const positiveInt = (defaultValue: number) =>
  z.coerce.number().int().positive().default(defaultValue);

/**
 * Variables every app reads (the README's Configuration section).
 *
 * @param defaultPort the app's own default `HTTP_PORT`, so that every app can
 *   run on one machine without configuration.
 */
export function baseEnvSchema(defaultPort: number) {
  return {
    // Where Redis is: exactly one of REDIS_URL, REDIS_SENTINELS,
    // REDIS_CLUSTER_NODES (checked by parseEnv; see redisTarget).
    REDIS_URL: redisUrl
      .optional()
      .meta({
        accepts: '`redis://` or `rediss://` URL',
        defaultText: `\`${DEFAULT_REDIS_URL}\``,
      })
      .describe(
        'standalone Redis; `rediss://` for TLS, user and password in the URL (`redis://user:pass@host:6379/0`)',
      ),
    REDIS_SENTINELS: hostPortList
      .optional()
      .meta({ accepts: '`host:port,…`' })
      .describe(
        'Sentinel mode: sentinels as `host:port,host:port,…` (IPv6 as `[::1]:26379`)',
      ),
    REDIS_SENTINEL_NAME: z
      .string()
      .regex(/^[^\s]+$/, 'must not contain whitespace')
      .optional()
      .meta({ defaultText: '(unset; required with `REDIS_SENTINELS`)' })
      .describe("the master's name as the sentinels monitor it"),
    REDIS_SENTINEL_PASSWORD: z
      .string()
      .optional()
      .describe('password of the sentinels themselves'),
    REDIS_CLUSTER_NODES: hostPortList
      .optional()
      .meta({ accepts: '`host:port,…`' })
      .describe(
        'Cluster mode: some or all nodes as `host:port,…`; the rest are discovered',
      ),
    REDIS_USERNAME: z
      .string()
      .optional()
      .describe(
        'ACL user of the data nodes in Sentinel or Cluster mode (a URL carries its own)',
      ),
    REDIS_PASSWORD: z
      .string()
      .optional()
      .describe('password of the data nodes in Sentinel or Cluster mode'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info').describe('pino level'),
    HTTP_PORT: portSchema(defaultPort).describe(
      "`/healthz`, `/readyz`, `/metrics` and the app's API, if any (0: any free port)",
    ),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[^\s]*$/, 'must not contain whitespace')
      .default('')
      .describe(
        'namespace prepended to every tickpulse key; empty in production (hash-tag it on Redis Cluster, e.g. `{tp}:`)',
      ),
    BULLMQ_PREFIX: z
      .string()
      .regex(/^[^\s:]+$/, 'must be non-empty, without whitespace or ":"')
      .default('bull')
      .meta({
        defaultText: `\`bull\`; \`${CLUSTER_BULLMQ_PREFIX}\` with \`REDIS_CLUSTER_NODES\``,
      })
      .describe(
        'BullMQ key prefix; must be a hash tag (`{…}`) on Redis Cluster',
      ),
  };
}

const WARNINGS = Symbol('config warnings');

/**
 * What `parseEnv` has to say about a valid configuration (a deprecated
 * variable name in use); `createAppLogger` logs it once the logger exists.
 */
export function configWarnings(config: object): readonly string[] {
  return (config as { [WARNINGS]?: string[] })[WARNINGS] ?? [];
}

/**
 * Validates environment variables against a schema. Unset and empty
 * variables both take the default, so `HTTP_PORT=` in a manifest is not 0.
 *
 * @param renamed deprecated variable names, each mapped to the name that
 *   replaced it: the old name still works (with a warning, see
 *   `configWarnings`) unless the new one is set too to another value, which
 *   is an error.
 * @throws ConfigError listing every bad or missing variable at once.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  service?: string,
  renamed: Record<string, string> = {},
): z.infer<S> {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (v !== undefined && v !== '') cleaned[k] = v;
  const warnings: string[] = [];
  const conflicts: string[] = [];
  for (const [old, current] of Object.entries(renamed)) {
    if (!(old in cleaned)) continue;
    if (current in cleaned && cleaned[current] !== cleaned[old])
      conflicts.push(
        `${old}: set only ${current} (${old} is its deprecated name, and the two differ) (given)`,
      );
    else {
      cleaned[current] = cleaned[old]!;
      warnings.push(`${old} is deprecated: set ${current} instead`);
    }
    delete cleaned[old];
  }
  const typos = misspelledVariables(cleaned, [
    ...schemaVariableNames(schema),
    ...Object.keys(renamed),
  ]).map(
    t =>
      `${t.name} is not a variable ${service ?? 'this program'} reads (ignored): did you mean ${t.suggestion}?`,
  );
  warnings.push(...typos);
  const result = schema.safeParse(cleaned);
  const topology =
    schema instanceof z.ZodObject && 'REDIS_CLUSTER_NODES' in schema.shape
      ? redisTopologyProblems(cleaned)
      : [];
  if (result.success && topology.length === 0 && conflicts.length === 0) {
    const data = result.data as Record<string, unknown>;
    if (
      cleaned.REDIS_CLUSTER_NODES &&
      !cleaned.BULLMQ_PREFIX &&
      'BULLMQ_PREFIX' in data
    )
      data.BULLMQ_PREFIX = CLUSTER_BULLMQ_PREFIX;
    if (warnings.length > 0)
      Object.defineProperty(data, WARNINGS, { value: warnings });
    return result.data;
  }
  const issues = result.success ? [] : result.error.issues;
  const problems = issues.map(issue => {
    const name = issue.path.length > 0 ? issue.path.join('.') : '(config)';
    const given =
      issue.path.length === 1 ? cleaned[String(issue.path[0])] : undefined;
    const shown =
      given === undefined
        ? 'not set'
        : isSecretName(name)
          ? 'given'
          : `got ${echoValue(given, 200)}`;
    return `${name}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(
    [...problems, ...topology, ...conflicts, ...typos],
    service,
  );
}

/** The variable names of an env schema (an object, or an object behind a refinement or transform). */
function schemaVariableNames(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  const inner = (schema.def as { in?: z.ZodType }).in;
  return inner ? schemaVariableNames(inner) : [];
}

/** The Redis variables of a config built on `baseEnvSchema`. */
export interface RedisEnv {
  REDIS_URL?: string | undefined;
  REDIS_SENTINELS?: HostPort[] | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  REDIS_CLUSTER_NODES?: HostPort[] | undefined;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
}

/** The topology a validated config points at (standalone when nothing is set). */
export function redisTarget(config: RedisEnv): RedisTarget {
  const auth = {
    ...(config.REDIS_USERNAME && { username: config.REDIS_USERNAME }),
    ...(config.REDIS_PASSWORD && { password: config.REDIS_PASSWORD }),
  };
  if (config.REDIS_SENTINELS) {
    return {
      mode: 'sentinel',
      sentinels: config.REDIS_SENTINELS,
      name: config.REDIS_SENTINEL_NAME ?? '',
      ...(config.REDIS_SENTINEL_PASSWORD && {
        sentinelPassword: config.REDIS_SENTINEL_PASSWORD,
      }),
      ...auth,
    };
  }
  if (config.REDIS_CLUSTER_NODES)
    return { mode: 'cluster', nodes: config.REDIS_CLUSTER_NODES, ...auth };
  return { mode: 'standalone', url: config.REDIS_URL ?? DEFAULT_REDIS_URL };
}

/**
 * The environment variables that point a child process (or an in-process
 * app's config) at `target`: the inverse of `redisTarget`.
 */
export function redisTargetEnv(target: RedisTarget): Record<string, string> {
  const list = (hs: HostPort[]) =>
    hs
      .map(h => (h.host.includes(':') ? `[${h.host}]` : h.host) + `:${h.port}`)
      .join(',');
  const auth = (t: { username?: string; password?: string }) => ({
    ...(t.username && { REDIS_USERNAME: t.username }),
    ...(t.password && { REDIS_PASSWORD: t.password }),
  });
  switch (target.mode) {
    case 'standalone':
      return { REDIS_URL: target.url };
    case 'sentinel':
      return {
        REDIS_SENTINELS: list(target.sentinels),
        REDIS_SENTINEL_NAME: target.name,
        ...(target.sentinelPassword && {
          REDIS_SENTINEL_PASSWORD: target.sentinelPassword,
        }),
        ...auth(target),
      };
    case 'cluster':
      return { REDIS_CLUSTER_NODES: list(target.nodes), ...auth(target) };
  }
}

/**
 * Cross-variable rules of the Redis topology, on the raw (non-empty)
 * variables, only for schemas that declare them: exactly one of REDIS_URL,
 * REDIS_SENTINELS, REDIS_CLUSTER_NODES; the sentinel variables together;
 * data-node credentials only where no URL carries them; a hash-tagged BullMQ
 * prefix on a cluster (every key of a queue must share a slot).
 */
function redisTopologyProblems(env: Record<string, string>): string[] {
  const modes = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'].filter(
    k => k in env,
  );
  const problems: string[] = [];
  if (modes.length > 1)
    problems.push(
      `${modes.join(', ')}: set only one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES`,
    );
  const sentinel = 'REDIS_SENTINELS' in env;
  if (sentinel && !('REDIS_SENTINEL_NAME' in env))
    problems.push(
      'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (not set)',
    );
  for (const k of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD'])
    if (k in env && !sentinel)
      problems.push(`${k}: only meaningful with REDIS_SENTINELS (given)`);
  for (const k of ['REDIS_USERNAME', 'REDIS_PASSWORD'])
    if (k in env && modes.length === 1 && modes[0] === 'REDIS_URL')
      problems.push(`${k}: put the credentials in REDIS_URL instead (given)`);
    else if (k in env && modes.length === 0)
      problems.push(
        `${k}: only used with REDIS_SENTINELS or REDIS_CLUSTER_NODES (given)`,
      );
  const prefix = env.BULLMQ_PREFIX;
  if ('REDIS_CLUSTER_NODES' in env && prefix && !/^\{[^{}]+\}$/.test(prefix))
    problems.push(
      `BULLMQ_PREFIX: must be a hash tag such as {tickpulse} on Redis Cluster (got ${JSON.stringify(prefix)})`,
    );
  return problems;
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

/** What a plain integer means in a duration variable: the unit its name implies. */
export type PlainUnit = 'ms' | 's' | 'days';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const PLAIN_SUFFIX: Record<PlainUnit, string> = { ms: 'ms', s: 's', days: 'd' };

/** The forms a duration variable accepts, for error messages and the configuration reference. */
export function durationForms(plain: PlainUnit = 'ms'): string {
  const unit = { ms: 'milliseconds', s: 'seconds', days: 'days' }[plain];
  return `a duration like 250ms, 10s, 15m, 1h or 2d, or a whole number of ${unit}`;
}

/** The Accepts column of a duration variable in the configuration reference. */
export function durationAccepts(plain: PlainUnit = 'ms'): string {
  const unit = { ms: 'ms', s: 'seconds', days: 'days' }[plain];
  return `duration (\`10s\`, \`15m\`, …; a plain number is ${unit})`;
}

/**
 * Reads one duration: a whole number with a unit (`250ms`, `10s`, `15m`,
 * `1h`, `2d`) or a plain whole number in `plain`, the unit the variable's
 * name implies (`FLUSH_INTERVAL_MS=50`, `STATUS_INTERVAL_S=5`,
 * `TICK_RETENTION_DAYS=90`), so that every value that worked before units
 * were accepted keeps its meaning.
 *
 * @returns milliseconds, or undefined when `text` is not a duration.
 */
export function parseDurationMs(
  text: string,
  plain: PlainUnit = 'ms',
): number | undefined {
  const m = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] ?? PLAIN_SUFFIX[plain]]!;
}

/** Options of `duration`. */
export interface DurationOptions {
  /** The unit of a plain number, and of the parsed value (default `ms`). */
  plain?: PlainUnit;
  /** Accept 0 (a variable where 0 turns the feature off). */
  allowZero?: boolean;
  /** Smallest accepted value in ms (default 1, or 0 with `allowZero`). */
  minMs?: number;
  /** Largest accepted value in ms (default MAX_DURATION_MS, Node's timer limit). */
  maxMs?: number;
}

/** The string → number reader behind `duration`, bounds and messages included. */
function durationReader(opts: DurationOptions) {
  const plain = opts.plain ?? 'ms';
  const maxMs = opts.maxMs ?? MAX_DURATION_MS;
  const minMs = opts.minMs ?? (opts.allowZero ? 0 : 1);
  return z.string().transform((s, ctx) => {
    const ms = parseDurationMs(s, plain);
    const problem =
      ms === undefined
        ? `must be ${durationForms(plain)}`
        : ms > maxMs
          ? maxMs === MAX_DURATION_MS
            ? TOO_LONG
            : `must be at most ${describeMs(maxMs)}`
          : ms < minMs
            ? minMs === 1
              ? 'must be greater than zero'
              : `must be at least ${describeMs(minMs)}`
            : undefined;
    if (problem !== undefined) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return ms! / UNIT_MS[PLAIN_SUFFIX[plain]]!;
  });
}
type DurationReader = ReturnType<typeof durationReader>;

/**
 * A duration variable, the one syntax every tickpulse duration accepts (see
 * `parseDurationMs`). The value comes out in the unit the name implies
 * (`plain`): milliseconds for `*_MS` and unit-less names, seconds for `*_S`,
 * days for `*_DAYS`; `250ms` in a seconds variable is 0.25.
 *
 * @param defaultValue used when the variable is unset, in the same syntax;
 *   `undefined` leaves the variable optional.
 */
export function duration(
  defaultValue: string,
  opts?: DurationOptions,
): z.ZodPrefault<DurationReader>;
export function duration(
  defaultValue: undefined,
  opts?: DurationOptions,
): z.ZodOptional<DurationReader>;
export function duration(
  defaultValue: string | undefined,
  opts: DurationOptions = {},
): z.ZodPrefault<DurationReader> | z.ZodOptional<DurationReader> {
  const read = durationReader(opts);
  const meta = { accepts: durationAccepts(opts.plain) };
  return defaultValue === undefined
    ? read.optional().meta(meta)
    : // prefault, not default: the default goes through the same parser.
      read.prefault(defaultValue).meta(meta);
}

/**
 * A `*_MS` duration variable: `duration` with a default in whole
 * milliseconds (a plain number in such a variable means ms).
 */
export const milliseconds = (
  defaultMs: number,
  opts: Omit<DurationOptions, 'plain'> = {},
) => duration(String(defaultMs), opts);

/** A bound for messages, in the largest unit that divides it (`90000` → `90s`). */
function describeMs(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

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
