import type { Pool } from 'pg';

/** An alert-active strategy as the shadow needs it. */
export interface ActiveStrategy {
  id: number;
  /** `alert_universe_full` NULL, empty or only blank/NULL elements (docs/go-backend.md, defect 6). */
  global: boolean;
  /** Distinct non-blank tickers of `alert_universe_full` (0 for a global strategy). */
  universeSize: number;
  /** `COALESCE(min_timeframe, '1d')`, as the Go loop reads it. */
  timeframe: string;
}

export interface StrategySource {
  /** Every alert-active strategy, ordered by id. */
  listActive(): Promise<ActiveStrategy[]>;
}

// Blank and NULL elements pass the table's CHECK constraint; they are not
// tickers, so they are dropped before deciding "global" and counting.
const ACTIVE_SQL = `
SELECT s.strategyid AS id,
       COALESCE(s.min_timeframe, '1d') AS timeframe,
       (SELECT count(DISTINCT upper(btrim(t)))
          FROM unnest(COALESCE(s.alert_universe_full, ARRAY[]::text[])) AS t
         WHERE t IS NOT NULL AND btrim(t) <> '')::int AS universe_size
  FROM strategies s
 WHERE s.alertactive = true
 ORDER BY s.strategyid`;

/** Reads active strategies from PostgreSQL (`strategies`, read only). */
export function createStrategySource(pool: Pool): StrategySource {
  return {
    async listActive() {
      const { rows } = await pool.query<{
        id: number;
        timeframe: string;
        universe_size: number;
      }>(ACTIVE_SQL);
      return rows.map(r => ({
        id: Number(r.id),
        global: r.universe_size === 0,
        universeSize: r.universe_size,
        timeframe: r.timeframe,
      }));
    },
  };
}
