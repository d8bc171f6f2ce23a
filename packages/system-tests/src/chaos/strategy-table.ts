import { seededRandom } from '@tickpulse/testkit';
import type { Client } from 'pg';
import type { StrategyRow } from '../universe-oracle.js';

/** A strategy's `alert_universe_full` as the suite writes it. */
export type Universe = (string | null)[] | null;

/**
 * The suite's writes to its own `strategies` table. Universes come from one
 * seeded stream shared by the initial rows and the later edits, so a run's
 * table content is reproducible from the seed alone.
 */
export interface StrategyTable {
  /** The seeded stream the universes are drawn from (the initial rows draw `alertactive` from it too). */
  random: () => number;
  /** A random universe: NULL, empty, or up to 12 symbols with lower-case/padded, non-symbol and NULL elements mixed in. */
  randomUniverse(): Universe;
  insert(id: number, active: boolean, universe: Universe): Promise<void>;
  upsert(id: number, active: boolean, universe: Universe): Promise<void>;
  delete(id: number): Promise<void>;
  /** Every committed row (for the universe oracle). */
  rows(): Promise<StrategyRow[]>;
}

/** Binds the table in `schema` to the admin connection. */
export function createStrategyTable(
  admin: Client,
  schema: string,
  seed: number,
): StrategyTable {
  const rnd = seededRandom(seed);
  const pool = Array.from({ length: 60 }, (_, i) => `U${i}X`);
  return {
    random: rnd,
    randomUniverse() {
      const r = rnd();
      if (r < 0.1) return null;
      if (r < 0.15) return [];
      const n = 1 + Math.floor(rnd() * 12);
      const u: (string | null)[] = [];
      for (let k = 0; k < n; k++) {
        const t = pool[Math.floor(rnd() * pool.length)]!;
        u.push(rnd() < 0.2 ? ` ${t.toLowerCase()} ` : t);
      }
      if (rnd() < 0.1) u.push('BRK A');
      if (rnd() < 0.05) u.push(null);
      return u;
    },
    async insert(id, active, universe) {
      await admin.query(
        `INSERT INTO ${schema}.strategies (strategyid, alertactive, alert_universe_full) VALUES ($1, $2, $3)`,
        [id, active, universe],
      );
    },
    async upsert(id, active, universe) {
      await admin.query(
        `INSERT INTO ${schema}.strategies (strategyid, alertactive, alert_universe_full) VALUES ($1, $2, $3)
         ON CONFLICT (strategyid) DO UPDATE SET alertactive = EXCLUDED.alertactive, alert_universe_full = EXCLUDED.alert_universe_full`,
        [id, active, universe],
      );
    },
    async delete(id) {
      await admin.query(
        `DELETE FROM ${schema}.strategies WHERE strategyid = $1`,
        [id],
      );
    },
    async rows() {
      return (
        await admin.query<StrategyRow>(
          `SELECT strategyid, alertactive, alert_universe_full FROM ${schema}.strategies`,
        )
      ).rows;
    },
  };
}
