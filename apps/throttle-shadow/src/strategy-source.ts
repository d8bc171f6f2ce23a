import {
  createStrategyReader,
  desiredUniverse,
  type SqlClient,
} from '@tickpulse/shared';

/** An alert-active strategy as the shadow needs it. */
export interface ActiveStrategy {
  id: number;
  /** The strategy runs unfiltered: `desiredUniverse` says `global`. */
  global: boolean;
  /**
   * Tickers of the set universe-sync keeps for it (0 when it keeps none:
   * global, or no valid ticker, or a malformed universe — the Go loop then
   * skips a non-global strategy, and so does the planner).
   */
  universeSize: number;
  /** `COALESCE(min_timeframe, '1d')`, as the Go loop reads it. */
  timeframe: string;
}

export interface StrategySource {
  /** Every alert-active strategy, ordered by id. */
  listActive(): Promise<ActiveStrategy[]>;
}

/** Rows per keyset page. */
const PAGE_SIZE = 1000;

/**
 * Reads active strategies from PostgreSQL (`strategies`, read only) with the
 * reader and the universe rule universe-sync uses, so the shadow counts a
 * strategy exactly as the set universe-sync writes for it.
 */
export function createStrategySource(db: SqlClient): StrategySource {
  const reader = createStrategyReader(db);
  return {
    async listActive() {
      const out: ActiveStrategy[] = [];
      for (let after = 0; ;) {
        const rows = await reader.activeRowsAfter(after, PAGE_SIZE);
        for (const row of rows) {
          const desired = desiredUniverse(row);
          out.push({
            id: Number(row.strategyid),
            global: desired.kind === 'none' && desired.reason === 'global',
            universeSize: desired.kind === 'set' ? desired.tickers.length : 0,
            timeframe: row.timeframe,
          });
        }
        if (rows.length < PAGE_SIZE) return out;
        after = rows[rows.length - 1]!.strategyid;
      }
    },
  };
}
