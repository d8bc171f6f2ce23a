import type { Logger } from '@tickpulse/shared';
import pg from 'pg';
import type { StrategyRow } from './universe.js';

/** Reads the `strategies` columns tickpulse needs. No query ever writes. */
export interface StrategyReader {
  /** One strategy, or undefined when the row does not exist. */
  fetch(strategyId: number): Promise<StrategyRow | undefined>;
  /** Ids of alert-active strategies above `afterId`, ascending (keyset page). */
  activeIdsAfter(afterId: number, limit: number): Promise<number[]>;
  /** The rows for these ids (missing ids are deleted strategies). */
  fetchMany(ids: readonly number[]): Promise<Map<number, StrategyRow>>;
  /** `SELECT 1`, for readiness. */
  ping(): Promise<void>;
}

const COLUMNS = 'strategyid, alertactive, alert_universe_full';

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

/** The strategy queries over a pool (or anything with pg's `query`). */
export function createStrategyReader(pool: pg.Pool): StrategyReader {
  return {
    async fetch(strategyId) {
      const { rows } = await pool.query<StrategyRow>(
        `SELECT ${COLUMNS} FROM strategies WHERE strategyid = $1`,
        [strategyId],
      );
      return rows[0];
    },
    async activeIdsAfter(afterId, limit) {
      const { rows } = await pool.query<{ strategyid: number }>(
        `SELECT strategyid FROM strategies
          WHERE alertactive AND strategyid > $1
          ORDER BY strategyid LIMIT $2`,
        [afterId, limit],
      );
      return rows.map(r => r.strategyid);
    },
    async fetchMany(ids) {
      const out = new Map<number, StrategyRow>();
      if (ids.length === 0) return out;
      const { rows } = await pool.query<StrategyRow>(
        `SELECT ${COLUMNS} FROM strategies WHERE strategyid = ANY($1::int[])`,
        [ids],
      );
      for (const row of rows) out.set(row.strategyid, row);
      return out;
    },
    async ping() {
      await pool.query('SELECT 1');
    },
  };
}
