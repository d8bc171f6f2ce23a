import { InvalidTickerError } from './errors.js';

/**
 * US equity, OTC and share-class symbols as Polygon sends them: letters,
 * digits and the separators `.` `-` `/` (e.g. `BRK.A`, `BF-B`), at most 16
 * characters. Lower case is accepted and upper-cased; surrounding whitespace
 * is trimmed; whitespace inside a symbol is not a symbol.
 */
const TICKER_RE = /^[A-Z0-9][A-Z0-9./-]{0,15}$/;

/** Normalises one ticker, or returns why it is not one. */
export function normalizeTicker(
  value: unknown,
): { ok: true; ticker: string } | { ok: false; reason: string } {
  if (typeof value !== 'string')
    return {
      ok: false,
      reason: `not a string (${value === null ? 'null' : typeof value})`,
    };
  const ticker = value.trim().toUpperCase();
  if (ticker === '') return { ok: false, reason: 'empty' };
  if (!TICKER_RE.test(ticker))
    return { ok: false, reason: 'not a ticker symbol' };
  return { ok: true, ticker };
}

/** True for a string that is already a normalised ticker (the hot-path check). */
export function isNormalizedTicker(value: string): boolean {
  return TICKER_RE.test(value);
}

/**
 * Normalises a list of tickers: upper-case, trimmed, duplicates removed,
 * order of first appearance kept.
 *
 * @throws InvalidTickerError listing every invalid element, so a caller
 *   writes all of the list or none of it.
 */
export function normalizeTickers(values: readonly unknown[]): string[] {
  const out = new Set<string>();
  const invalid: { index: number; value: unknown; reason: string }[] = [];
  values.forEach((value, index) => {
    const r = normalizeTicker(value);
    if (r.ok) out.add(r.ticker);
    else invalid.push({ index, value, reason: r.reason });
  });
  if (invalid.length > 0) throw new InvalidTickerError(invalid);
  return [...out];
}
