import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Fixed redact paths: secrets never reach a log line, whatever object carries them. */
const REDACT_PATHS = [
  'apiKey',
  'token',
  'password',
  'authorization',
  'params',
  '*.apiKey',
  '*.token',
  '*.password',
  '*.authorization',
  'req.headers.authorization',
  'config.POLYGON_API_KEY',
  'config.API_TOKEN',
  'config.DATABASE_URL',
  'config.REDIS_URL',
];

/**
 * The process's root logger: one JSON object per line on stdout, errors
 * under `err`, `service` on every line.
 */
export function createLogger(opts: {
  service: string;
  level?: string;
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: opts.service },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: label => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A URL safe to log: credentials replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return '[unparsable url]';
  }
}
