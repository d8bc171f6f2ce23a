/**
 * The tests' own model of STRAT:<id>:UNIV, from the committed `strategies`
 * rows (written from the contract, not from universe-sync's code): a set
 * exists exactly when the strategy is alert-active and at least one element
 * is a ticker symbol; elements are trimmed and upper-cased; NULL, blank and
 * non-symbol elements are left out.
 */
const TICKER = /^[A-Z0-9][A-Z0-9./-]{0,15}$/;

/** One committed row. */
export interface StrategyRow {
  strategyid: number;
  alertactive: boolean;
  alert_universe_full: (string | null)[] | null;
}

/** The expected set of one row, or null when no key may exist. */
export function expectedUniverse(row: StrategyRow): string[] | null {
  if (!row.alertactive || !row.alert_universe_full) return null;
  const out = new Set<string>();
  for (const el of row.alert_universe_full) {
    if (el === null) continue;
    const t = el.trim().toUpperCase();
    if (t && TICKER.test(t)) out.add(t);
  }
  return out.size > 0 ? [...out].sort() : null;
}
