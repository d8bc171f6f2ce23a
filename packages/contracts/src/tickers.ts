import { InvalidTickerError } from './errors.js';

/**
 * The one definition of a ticker symbol in tickpulse (ingest's parser, the
 * `ticks` contract, TICK:UPD writes, universes, the planner API and the CLI
 * all use it): US equity, OTC and share-class symbols as Polygon sends them,
 * upper-case ASCII letters, digits and the separators `.` `-` `/` (e.g.
 * `BRK.A`, `BF-B`), at most 16 characters.
 */
const TICKER_RE = /^[A-Z0-9][A-Z0-9./-]{0,15}$/;
/** ASCII whitespace only: trimming must not decide what a Unicode symbol means. */
const EDGE_SPACE_RE = /^[ \t\r\n\f\v]+|[ \t\r\n\f\v]+$/g;
/**
 * Only ASCII `a`–`z` are upper-cased. `String#toUpperCase` applies Unicode
 * case mapping, which invents tickers: `ıbm` → `IBM`, `ſpy` → `SPY`,
 * `ß` → `SS`, `ﬁ` → `FI`. Those stay as they are and fail the pattern.
 */
const ASCII_LOWER_RE = /[a-z]+/g;

/**
 * Normalises one ticker, or returns why it is not one. Surrounding ASCII
 * whitespace is trimmed and ASCII lower case upper-cased; whitespace inside a
 * symbol, any other character and any non-ASCII letter make it not a symbol.
 */
export function normalizeTicker(
  value: unknown,
): { ok: true; ticker: string } | { ok: false; reason: string } {
  if (typeof value !== 'string')
    return {
      ok: false,
      reason: `not a string (${value === null ? 'null' : typeof value})`,
    };
  const ticker = value
    .replace(EDGE_SPACE_RE, '')
    .replace(ASCII_LOWER_RE, s => s.toUpperCase());
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
