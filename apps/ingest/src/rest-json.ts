/**
 * Polygon's REST times are nanoseconds (~1.8e18), beyond 2^53: `JSON.parse`
 * would round them to a multiple of 256 ns, and a print in the last
 * nanoseconds of a millisecond (…123999999) would then land on the next
 * millisecond. So a response is parsed with every integer of 16 or more
 * digits turned into a string first, and converted with BigInt.
 */

// An integer of 16+ digits in value position (after `:`, `[` or `,`, before
// `,`, `}` or `]`). Inside a string literal the same pattern could only
// appear in free text, which ingest never reads.
const BIG_INT_RE = /([:[,]\s*)(-?\d{16,})(?=\s*[,}\]])/g;

/** Parses a REST body with large integers kept exact as decimal strings. */
export function parseRestJson(text: string): unknown {
  return JSON.parse(text.replace(BIG_INT_RE, '$1"$2"'));
}

const NS_RE = /^\d{16,20}$/;

/**
 * Unix nanoseconds (decimal digits, as `parseRestJson` leaves them) → Unix
 * ms, truncated exactly; NaN for anything that is not a plausible ns value
 * (fewer than 16 digits would be before 2001, a unit mix-up).
 */
export function nsToMillis(ns: unknown): number {
  if (typeof ns !== 'string' || !NS_RE.test(ns)) return NaN;
  return Number(BigInt(ns) / 1_000_000n);
}

/** Unix ms → Unix ns, as the decimal digits REST query parameters take. */
export function millisToNs(ms: number): string {
  return (BigInt(Math.floor(ms)) * 1_000_000n).toString();
}
