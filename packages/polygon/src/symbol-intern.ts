/**
 * Ticker symbols read from frame bytes, interned with a verdict on each:
 * after warm-up a trade's symbol costs no string, no validation and no
 * Map lookup. A 10 000-entry Map was the scanner's largest single cost
 * (its hashing and the pointer chasing behind it, mostly cache misses), so
 * this is an open-addressed table over typed arrays: a probe reads one
 * int from a compact array, and a symbol of up to four characters — most
 * US tickers — is its own key, so a hit needs no byte comparison.
 *
 * Bounded: past MAX_SYMBOLS distinct symbols the table starts over, so a
 * stream of garbage symbols cannot grow it.
 */

const BITS = 17;
const SLOTS = 1 << BITS;
const MASK = SLOTS - 1;
/** Half the slots at most, so probe runs stay short. */
export const MAX_SYMBOLS = SLOTS >> 1;

/** 0 = empty; else the symbol's key (see `keyOf`). */
const keys = new Int32Array(SLOTS);
const strings: (string | undefined)[] = new Array<string | undefined>(
  SLOTS,
).fill(undefined);
const verdicts = new Uint8Array(SLOTS);
let count = 0;
let lastOk = false;

/**
 * A symbol's key: up to four 7-bit characters behind a leading 1 (exact,
 * below 2^29, never 0), else a 30-bit hash with bit 30 set (never equal to
 * a short key; equal hashes are told apart by their bytes).
 */
function keyOf(b: Uint8Array, start: number, end: number): number {
  if (end - start <= 4) {
    let key = 1;
    for (let j = start; j < end; j++) key = (key << 7) | b[j]!;
    return key;
  }
  let h = 0;
  for (let j = start; j < end; j++) h = (Math.imul(h, 31) + b[j]!) | 0;
  return (h & 0x3fffffff) | 0x40000000;
}

function sameBytes(s: string, b: Uint8Array, start: number, end: number) {
  if (s.length !== end - start) return false;
  for (let k = 0; k < s.length; k++)
    if (s.charCodeAt(k) !== b[start + k]) return false;
  return true;
}

/** Judges a symbol; asked once per interned symbol, so it must be pure. */
export interface SymbolJudge {
  _symbolOk(symbol: string): boolean;
}

/**
 * The interned string of the printable-ASCII bytes `b[start..end)`; the
 * judge's verdict on it is then `lastVerdict()`.
 */
export function internSymbol(
  b: Uint8Array,
  start: number,
  end: number,
  judge: SymbolJudge,
): string {
  const key = keyOf(b, start, end);
  const short = end - start <= 4;
  let slot = Math.imul(key, 0x9e3779b1) >>> (32 - BITS);
  for (;;) {
    const k = keys[slot];
    if (k === 0) break;
    if (k === key) {
      const s = strings[slot]!;
      if (short || sameBytes(s, b, start, end)) {
        lastOk = verdicts[slot] === 1;
        return s;
      }
    }
    slot = (slot + 1) & MASK;
  }
  if (count >= MAX_SYMBOLS) {
    clearSymbols();
    return internSymbol(b, start, end, judge);
  }
  const s = Buffer.prototype.latin1Slice.call(b, start, end) as string;
  lastOk = judge._symbolOk(s);
  keys[slot] = key;
  strings[slot] = s;
  verdicts[slot] = lastOk ? 1 : 0;
  count++;
  return s;
}

/** The verdict on the symbol `internSymbol` returned last. */
export function lastVerdict(): boolean {
  return lastOk;
}

/** How many symbols are interned (tests). */
export function internedSymbols(): number {
  return count;
}

/** Forgets every symbol (tests, and when the table is full). */
export function clearSymbols(): void {
  keys.fill(0);
  strings.fill(undefined);
  count = 0;
}
