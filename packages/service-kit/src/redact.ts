import { stdSerializers } from 'pino';

/** What a removed secret is replaced with. */
export const REDACTED = '[redacted]';

/** Property names whose values are secrets wherever they appear. */
const SECRET_KEY_RE =
  /^(password|pass|passwd|pwd|secret|token|api_?key|apikey|authorization|auth|access_token|client_secret|params)$/i;

/** Query parameters that carry a credential (ioredis and pg read `password`, Polygon `apiKey`). */
const SECRET_QUERY_RE =
  /^(password|pass|passwd|pwd|secret|token|api_?key|apikey|access_token|auth)$/i;

/**
 * Redis commands whose arguments hold credentials. ioredis attaches
 * `command: { name, args }` to every reply error, so a rejected AUTH (wrong or
 * rotated password) would otherwise log the password itself; HELLO carries
 * AUTH in RESP3, MIGRATE and ACL SETUSER and CONFIG SET can carry passwords.
 */
const SECRET_COMMANDS = new Set(['auth', 'hello', 'migrate', 'acl', 'config']);

/** URLs inside free text: a scheme, `://`, then up to the next space or quote. */
const URL_IN_TEXT_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>]+/gi;

/** The prototype of pino's serialised errors (nested errors come back with it, and need walking too). */
const SERIALIZED_ERROR_PROTO = Object.getPrototypeOf(
  stdSerializers.err(new Error('probe')),
) as unknown;

const MAX_DEPTH = 8;
const MAX_COMMAND_ARGS = 10;
const MAX_ARG_CHARS = 200;

/**
 * A URL safe to log: the password of its userinfo and every credential-like
 * query parameter (`password`, `apiKey`, `token`, …) replaced. Works for
 * redis://, rediss://, postgres://, ws(s):// and http(s):// URLs alike.
 *
 * @param url any string; one that does not parse is replaced entirely.
 * @returns the URL with its secrets replaced by `redacted`.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '[unparsable url]';
  }
  if (u.password) u.password = 'redacted';
  for (const key of [...u.searchParams.keys()])
    if (SECRET_QUERY_RE.test(key)) u.searchParams.set(key, 'redacted');
  return u.toString();
}

/**
 * Replaces every URL inside free text (an error message, a stack) with its
 * redacted form; text without `scheme://` is returned unchanged.
 *
 * @param text any text.
 * @returns the text with each embedded URL passed through `redactUrl`.
 */
export function redactUrlsIn(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT_RE, redactUrl);
}

/** The configured secrets' values, replaced wherever they appear in a log line. */
const secretValues = new Set<string>();
/** Shorter values would redact ordinary words. */
const MIN_SECRET_CHARS = 8;
/** Variables whose values are secrets: `POLYGON_API_KEY`, `API_TOKEN`, `*_PASSWORD`, … */
const SECRET_ENV_RE = /(KEY|TOKEN|PASSWORD|SECRET)$/;

/**
 * Registers the secrets of a parsed configuration by value: the variables
 * named like secrets, and the passwords inside URL variables. A peer that
 * echoes the API key back (a status message quoting it) then cannot get it
 * into a log line, whatever field or message carries it.
 */
export function registerConfigSecrets(config: object): void {
  for (const [name, value] of Object.entries(config)) {
    if (typeof value !== 'string') continue;
    if (SECRET_ENV_RE.test(name)) addSecretValue(value);
    if (!value.includes('://')) continue;
    try {
      const { password } = new URL(value);
      if (password) {
        addSecretValue(password);
        addSecretValue(decodeURIComponent(password));
      }
    } catch {
      // Not a URL: nothing inside it to register.
    }
  }
}

function addSecretValue(value: string): void {
  if (value.length >= MIN_SECRET_CHARS) secretValues.add(value);
}

/** `text` with every registered secret value replaced. */
export function redactSecretValuesIn(text: string): string {
  let out = text;
  for (const secret of secretValues)
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/**
 * Serialises an error for a log line (pino's standard shape: type, message,
 * stack, cause, own properties) with every secret removed: credentials in
 * URLs, secret-named properties, and the arguments of credential-carrying
 * Redis commands. Already-serialised input keeps its shape, so applying it
 * twice is harmless.
 *
 * @param err whatever was logged under `err`.
 * @returns a plain object safe to write.
 */
export function serializeError(err: unknown): unknown {
  return redactSecrets(err);
}

/**
 * Returns a copy of a value to be logged with every secret removed. Errors
 * are serialised first (so their `cause`, `errors` and own properties such as
 * ioredis's `command` are walked too); plain objects and arrays are walked
 * to a bounded depth; class instances are left to pino's redact paths.
 *
 * @param value anything a log call was given.
 * @returns a value safe to log.
 */
export function redactSecrets(value: unknown): unknown {
  return walk(value, 0, new WeakSet());
}

/** `seen` holds the ancestors of the value: a cycle, not an object logged twice. */
function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string')
    return redactSecretValuesIn(redactUrlsIn(value));
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    return walkObject(value, depth, seen);
  } finally {
    seen.delete(value);
  }
}

function walkObject(
  value: object,
  depth: number,
  seen: WeakSet<object>,
): unknown {
  if (value instanceof Error)
    return walkProps(stdSerializers.err(value), depth, seen);
  if (Array.isArray(value)) return value.map(v => walk(v, depth + 1, seen));
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  // Dates, URLs and the like log as their JSON form; a URL object's href needs redacting too.
  if (typeof toJSON === 'function')
    return walk(toJSON.call(value) as unknown, depth, seen);
  const proto = Object.getPrototypeOf(value) as unknown;
  // Class instances (a request, a client) are left to pino's fixed redact
  // paths: walking one would copy whole object graphs into the log line.
  if (
    proto !== Object.prototype &&
    proto !== null &&
    proto !== SERIALIZED_ERROR_PROTO
  )
    return value;
  return walkProps(value, depth, seen);
}

function walkProps(
  value: object,
  depth: number,
  seen: WeakSet<object>,
): Record<string, unknown> {
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(src)) {
    const v = src[key];
    if (SECRET_KEY_RE.test(key) && v !== undefined && v !== null) {
      out[key] = REDACTED;
    } else if (key === 'args' && Array.isArray(v) && isRedisCommand(src)) {
      out[key] = commandArgs(String(src.name), v);
    } else {
      out[key] = walk(v, depth + 1, seen);
    }
  }
  return out;
}

function isRedisCommand(obj: Record<string, unknown>): boolean {
  return typeof obj.name === 'string' && Array.isArray(obj.args);
}

/** A command's arguments as logged: none for credential commands, a bounded preview otherwise. */
function commandArgs(name: string, args: unknown[]): unknown[] {
  if (SECRET_COMMANDS.has(name.toLowerCase())) return [REDACTED];
  const shown: unknown[] = args.slice(0, MAX_COMMAND_ARGS).map(a => {
    const s = typeof a === 'string' ? redactUrlsIn(a) : a;
    return typeof s === 'string' && s.length > MAX_ARG_CHARS
      ? `${s.slice(0, MAX_ARG_CHARS)}…`
      : typeof s === 'object' && s !== null
        ? `[${Buffer.isBuffer(s) ? 'buffer' : typeof s}]`
        : s;
  });
  if (args.length > MAX_COMMAND_ARGS)
    shown.push(`… ${args.length - MAX_COMMAND_ARGS} more`);
  return shown;
}
