import type { Logger } from '@tickpulse/service-kit';
import pg from 'pg';

/**
 * Creates the query pool. A pool client that dies while idle (PostgreSQL
 * restarted) emits `error` on the pool; it is logged and counted instead of
 * crashing the process, and the pool opens a new connection on next use.
 */
export function createPgPool(opts: {
  url: string;
  max: number;
  connectTimeoutMs: number;
  logger: Logger;
  onIdleError?: (err: Error) => void;
  applicationName?: string;
}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: opts.applicationName ?? 'tickpulse-universe-sync',
    // A query stuck on a half-open connection must not hold a sync job forever.
    query_timeout: 60_000,
  });
  pool.on('error', err => {
    opts.logger.warn({ err }, 'idle PostgreSQL client failed');
    opts.onIdleError?.(err);
  });
  return pool;
}
