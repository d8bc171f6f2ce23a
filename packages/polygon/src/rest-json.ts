/**
 * Polygon's REST times are nanoseconds (~1.8e18), beyond 2^53: `JSON.parse`
 * would round them to a multiple of 256 ns, and a print in the last
 * nanoseconds of a millisecond (…123999999) would then land on the next
 * millisecond. So a response is parsed with every integer of 16 or more
 * digits turned into a string first, and converted with BigInt.
 */

/** An integer of this many digits or more can be beyond 2^53 (9 007 199 254 740 992). */
const BIG_DIGITS = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
/** A character that continues a number after its integer digits: `.`, `e`, `E`, `+`, `-`. */
const continuesNumber = (c: number) =>
  c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === MINUS;

/**
 * The text with every integer of 16 or more digits quoted, in one pass that
 * skips string literals (escapes included): free text such as
 * `"x,1796645000000000000]y"` is left alone. Outside strings JSON has
 * numbers only as values, so every such token is one.
 */
export function quoteBigIntegers(text: string): string {
  let out = '';
  let copied = 0;
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
      i++;
    } else if (c === MINUS || isDigit(c)) {
      const start = i;
      i++;
      while (i < text.length && isDigit(text.charCodeAt(i))) i++;
      const digits = i - start - (c === MINUS ? 1 : 0);
      if (i < text.length && continuesNumber(text.charCodeAt(i))) {
        // A fraction or an exponent: a float, which JSON.parse reads as one.
        while (
          i < text.length &&
          (isDigit(text.charCodeAt(i)) || continuesNumber(text.charCodeAt(i)))
        )
          i++;
      } else if (digits >= BIG_DIGITS) {
        out += `${text.slice(copied, start)}"${text.slice(start, i)}"`;
        copied = i;
      }
    } else i++;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Parses a REST body with large integers kept exact as decimal strings. */
export function parseRestJson(text: string): unknown {
  return JSON.parse(quoteBigIntegers(text));
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
