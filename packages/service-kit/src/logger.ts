import pino, { type DestinationStream, type Logger } from 'pino';
import { configWarnings } from './config.js';
import {
  redactSecrets,
  redactSecretValuesIn,
  redactUrlsIn,
  registerConfigSecrets,
  serializeError,
} from './redact.js';
import { unsupportedNodeWarning } from './runtime.js';

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
      // Redaction at the root, for whatever a call site passes: every logged
      // value is walked (errors serialised first, so ioredis's
      // `command.args` of a rejected AUTH and URLs in messages are covered),
      // and the message itself loses URL credentials.
      serializers: { err: serializeError, msg: redactMessage },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: label => ({ level: label }),
        log: obj => redactSecrets(obj) as Record<string, unknown>,
      },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

function redactMessage(msg: unknown): unknown {
  return typeof msg === 'string'
    ? redactSecretValuesIn(redactUrlsIn(msg))
    : msg;
}

/**
 * An app's root logger at its configured level; logs first that the Node.js
 * running it is older than supported, if it is, and what `parseEnv` had to
 * say about the configuration (a deprecated variable in use). The
 * configuration's secrets are redacted by value from every line.
 */
export function createAppLogger(
  service: string,
  config: { LOG_LEVEL: string },
  destination?: DestinationStream,
): Logger {
  registerConfigSecrets(config);
  const logger = createLogger({
    service,
    level: config.LOG_LEVEL,
    ...(destination && { destination }),
  });
  const node = unsupportedNodeWarning(process.version);
  if (node) logger.warn({ node: process.version }, node);
  for (const warning of configWarnings(config)) logger.warn(warning);
  return logger;
}
