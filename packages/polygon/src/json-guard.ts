/**
 * A bound on what one JSON text may cost before `JSON.parse` sees it.
 * `JSON.parse` is synchronous and not interruptible: 20 MB of nested
 * brackets held the event loop 8–11 s (2.19 GB RSS) and cost ingest its
 * lease on every reconnect. Size is checked first (free), then nesting
 * depth and the number of values with one pass over the bytes that
 * allocates nothing. Bytes alone do not bound the parse: what costs is one
 * heap object per value, and 4 MiB of `[],[],…` took 0.5–1.1 s and 300 MB.
 */
export interface JsonBounds {
  /** Most bytes (UTF-8) of one text. */
  maxBytes: number;
  /** Most nesting of arrays and objects (Polygon sends 3: frame, event, `c`). */
  maxDepth: number;
  /**
   * Most values (counted as commas plus opening brackets outside strings,
   * an upper estimate of what `JSON.parse` would allocate).
   */
  maxValues: number;
}

/** Why a text was refused, or null when it is within its bounds. */
export type JsonBoundProblem =
  'too_large' | 'too_deep' | 'too_many_values' | null;

const QUOTE = 34;
const BACKSLASH = 92;

/**
 * Checks a JSON text against `bounds` without parsing it. Brackets inside
 * string literals do not count; a text that is not JSON at all passes (its
 * parse fails on its own, cheaply, as long as it is within the size bound).
 */
export function jsonBoundProblem(
  text: string | Uint8Array,
  bounds: JsonBounds,
): JsonBoundProblem {
  if (typeof text !== 'string') {
    if (text.length > bounds.maxBytes) return 'too_large';
    return shapeProblem(text, bounds);
  }
  // Each UTF-16 unit is at least one byte: a short text needs no count.
  if (
    text.length * 3 > bounds.maxBytes &&
    Buffer.byteLength(text, 'utf8') > bounds.maxBytes
  )
    return 'too_large';
  return shapeProblem(text, bounds);
}

/**
 * Nesting and value count of a JSON text. Written once per input type and
 * kept that way: a loop that switched between `charCodeAt` and byte reads
 * ran 3–5× slower. Brackets, quotes, backslashes and commas are ASCII, so
 * bytes and UTF-16 units are read alike.
 */
function shapeProblem(
  text: string | Uint8Array,
  bounds: JsonBounds,
): JsonBoundProblem {
  const { maxDepth, maxValues } = bounds;
  let depth = 0;
  let values = 1;
  let inString = false;
  if (typeof text === 'string') {
    for (let i = 0, n = text.length; i < n; i++) {
      const ch = text.charCodeAt(i);
      if (inString) {
        if (ch === BACKSLASH) i++;
        else if (ch === QUOTE) inString = false;
      } else if (ch === QUOTE) inString = true;
      else if (ch === 91 || ch === 123) {
        if (++depth > maxDepth) return 'too_deep';
        if (++values > maxValues) return 'too_many_values';
      } else if (ch === 93 || ch === 125) depth--;
      else if (ch === 44 && ++values > maxValues) return 'too_many_values';
    }
    return null;
  }
  for (let i = 0, n = text.length; i < n; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === BACKSLASH) i++;
      else if (ch === QUOTE) inString = false;
    } else if (ch === QUOTE) inString = true;
    else if (ch === 91 || ch === 123) {
      if (++depth > maxDepth) return 'too_deep';
      if (++values > maxValues) return 'too_many_values';
    } else if (ch === 93 || ch === 125) depth--;
    else if (ch === 44 && ++values > maxValues) return 'too_many_values';
  }
  return null;
}
