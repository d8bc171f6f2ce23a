import { desiredUniverse, type SqlClient } from '@tickpulse/contracts';
import type { ModelStrategy } from './throttle-models.js';

/** An alert-active strategy as the shadow needs it: the Go loop's inputs. */
export interface ActiveStrategy extends ModelStrategy {
  /**
   * The members universe-sync keeps in `STRAT:<id>:UNIV` (from
   * `alert_universe_full`, by the rule it writes them with): empty for a
   * global, invalid or malformed universe, which then has no set.
   */
  universeSet: readonly string[];
}

export interface StrategySource {
  /** Every alert-active strategy, ordered by id. */
  listActive(): Promise<ActiveStrategy[]>;
}

/** Rows per keyset page. */
const PAGE_SIZE = 1000;

interface Row {
  strategyid: number;
  alertactive: boolean;
  alert_universe_full: unknown;
  alert_universe: unknown;
  timeframe: string;
  last_trigger_ms: number | null;
}

// The columns the Go loop reads (initStrategyAlerts): alert_universe
// decides its path, alert_last_trigger_at its strategy-level throttle,
// COALESCE(min_timeframe, '1d') the bucket. Arrays travel as JSON, as in
// the shared strategy reader.
const QUERY = `
  SELECT strategyid, alertactive,
         array_to_json(alert_universe_full) AS alert_universe_full,
         array_to_json(COALESCE(alert_universe, ARRAY[]::text[])) AS alert_universe,
         COALESCE(min_timeframe, '1d') AS timeframe,
         (extract(epoch FROM alert_last_trigger_at) * 1000)::float8 AS last_trigger_ms
    FROM strategies
   WHERE alertactive AND strategyid > $1
   ORDER BY strategyid LIMIT $2`;

/** The typed symbols as Go sees them: every non-NULL element, as written. */
function typedSymbols(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flat(Infinity).filter((v): v is string => typeof v === 'string');
}

/**
 * Reads active strategies from PostgreSQL (`strategies`, read only), with
 * the set universe-sync writes for each one (`desiredUniverse`), so the
 * shadow's per-ticker scope is exactly what `STRAT:<id>:UNIV` holds.
 */
export function createStrategySource(db: SqlClient): StrategySource {
  return {
    async listActive() {
      const out: ActiveStrategy[] = [];
      for (let after = 0; ;) {
        const { rows } = await db.query<Row>(QUERY, [after, PAGE_SIZE]);
        for (const row of rows) {
          const desired = desiredUniverse(row);
          out.push({
            id: Number(row.strategyid),
            alertUniverse: typedSymbols(row.alert_universe),
            universeSet: desired.kind === 'set' ? desired.tickers : [],
            timeframe: row.timeframe,
            lastTriggerMs:
              row.last_trigger_ms === null
                ? null
                : Math.floor(row.last_trigger_ms),
          });
        }
        if (rows.length < PAGE_SIZE) return out;
        after = rows[rows.length - 1]!.strategyid;
      }
    },
  };
}
