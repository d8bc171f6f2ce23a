import { isNormalizedTicker, normalizeTicker } from '@tickpulse/shared';

/** The columns of `strategies` tickpulse reads. */
export interface StrategyRow {
  strategyid: number;
  alertactive: boolean;
  /** NULL or empty means a global strategy; elements may be NULL (the CHECK allows it). */
  alert_universe_full: (string | null)[] | null;
}

/** Why a strategy has no `STRAT:<id>:UNIV` set. */
export type NoSetReason =
  'deleted' | 'inactive' | 'global' | 'no-valid-tickers';

/** An element of `alert_universe_full` that is not a ticker symbol. */
export interface InvalidElement {
  index: number;
  value: string;
  reason: string;
}

/** What Redis should hold for one strategy. */
export type DesiredUniverse =
  | { kind: 'set'; tickers: string[]; invalid: InvalidElement[] }
  | { kind: 'none'; reason: NoSetReason; invalid: InvalidElement[] };

/**
 * Decides what `STRAT:<id>:UNIV` must hold for a row (or a missing row).
 *
 * - Missing row → no set (and the caller removes `:LAST` as well).
 * - Inactive → no set, whatever the universe.
 * - NULL or empty universe → global → no set. "Global" is decided from
 *   `alert_universe_full` only (docs/go-backend.md, defect 6).
 * - NULL and blank elements are dropped silently: the CHECK constraint lets
 *   NULL through and the extractor never means anything by them.
 * - Elements that are not ticker symbols are left out and returned in
 *   `invalid` so the caller counts and logs them. The valid rest is still
 *   written: an invalid symbol can never match a TICK:UPD member, so leaving
 *   it out changes nothing the alert loop would do, while refusing the whole
 *   universe would keep a stale set (or none) for a strategy a user just
 *   edited. When nothing valid remains the set is removed — an empty set
 *   cannot exist in Redis, and "global" (run unfiltered) would be wrong.
 */
export function desiredUniverse(row: StrategyRow | undefined): DesiredUniverse {
  if (!row) return { kind: 'none', reason: 'deleted', invalid: [] };
  if (!row.alertactive)
    return { kind: 'none', reason: 'inactive', invalid: [] };
  const raw = row.alert_universe_full;
  if (raw === null || raw.length === 0) {
    return { kind: 'none', reason: 'global', invalid: [] };
  }
  const tickers = new Set<string>();
  const invalid: InvalidElement[] = [];
  let present = 0;
  for (let i = 0; i < raw.length; i++) {
    const value = raw[i];
    if (value === null || value === undefined) continue;
    // Fast path (reconcile reads millions): an already normalised symbol
    // needs no trim / upper-case; the result is what normalizeTicker gives.
    if (isNormalizedTicker(value)) {
      present++;
      tickers.add(value);
      continue;
    }
    if (value.trim() === '') continue;
    present++;
    const r = normalizeTicker(value);
    if (r.ok) tickers.add(r.ticker);
    else invalid.push({ index: i, value, reason: r.reason });
  }
  // Only NULL/blank elements: the extractor found nothing, which it means as global.
  if (present === 0) return { kind: 'none', reason: 'global', invalid };
  if (tickers.size === 0) {
    return { kind: 'none', reason: 'no-valid-tickers', invalid };
  }
  return { kind: 'set', tickers: [...tickers], invalid };
}

/** A short, bounded description of invalid elements for a log line. */
export function describeInvalid(
  invalid: readonly InvalidElement[],
  max = 5,
): string[] {
  return invalid
    .slice(0, max)
    .map(
      i => `[${i.index}] ${JSON.stringify(i.value.slice(0, 40))}: ${i.reason}`,
    );
}
