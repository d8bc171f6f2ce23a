/**
 * The byte scanner behind `FrameParser.parseFast`: reads a frame straight
 * from the WebSocket's Buffer (no UTF-8 decode, no object per event),
 * specialised for what Polygon sends — an array of flat objects with plain
 * strings, numbers and small integer lists. It validates the JSON grammar of
 * every byte it passes, reads only the fields tickpulse uses, and returns
 * false ("give up, use JSON.parse") on anything it does not handle exactly
 * like JSON.parse would: escapes, non-ASCII tickers, nesting inside a known
 * field, long or exotic numbers, any syntax error.
 */
import { internSymbol, lastVerdict } from './symbol-intern.js';

/** What the scanner reports to. */
export interface ScanSink {
  /**
   * A trade with every field typed as expected; `symOk` is the sink's
   * `_symbolOk(sym)`, remembered with the interned symbol. Its condition
   * ids are `conds[0..condCount)`, or absent when `condCount` is -1:
   * `conds` is the scanner's scratch, valid only during the call (no array
   * is allocated per trade).
   */
  _trade(
    sym: string,
    t: number,
    conds: readonly number[],
    condCount: number,
    symOk: boolean,
  ): void;
  /** Whether a symbol is acceptable; asked once per interned symbol, so it must be pure. */
  _symbolOk(sym: string): boolean;
  _badTrade(
    sym: string | null | undefined,
    t: number | null | undefined,
    p: number | null | undefined,
    s: number | null | undefined,
    x: number | null | undefined,
    c: number[] | null | undefined,
  ): void;
  _status(
    status: string | null | undefined,
    message: string | null | undefined,
  ): void;
  _notObject(): void;
  _badEvent(): void;
  _ignored(): void;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;

// Field codes.
const F_OTHER = 0;
const F_T = 1;
const F_C = 2;
const F_P = 3;
const F_S = 4;
const F_X = 5;
const F_EV = 6;
const F_SYM = 7;
const F_STATUS = 8;
const F_MESSAGE = 9;

// What a trade's `c` was.
const C_ABSENT = 0;
const C_LIST = 1;
const C_BAD = 2;

// ev values.
const EV_MISSING = 0;
const EV_T = 1;
const EV_STATUS = 2;
const EV_OTHER = 3;
const EV_BAD = 4;

function ascii(b: Uint8Array, start: number, end: number): string {
  return Buffer.prototype.latin1Slice.call(b, start, end) as string;
}

function utf8(b: Uint8Array, start: number, end: number): string {
  return Buffer.prototype.utf8Slice.call(b, start, end) as string;
}

function isWs(ch: number | undefined): boolean {
  return ch === 32 || ch === 10 || ch === 13 || ch === 9;
}

/** End of a strict JSON number starting at `i`, or -1. */
function numberEnd(b: Uint8Array, i: number): number {
  let ch = b[i];
  if (ch === 45) ch = b[++i];
  if (ch === 48) ch = b[++i];
  else if (ch !== undefined && ch >= 49 && ch <= 57) {
    do ch = b[++i];
    while (ch !== undefined && ch >= 48 && ch <= 57);
  } else return -1;
  if (ch === 46) {
    ch = b[++i];
    if (ch === undefined || ch < 48 || ch > 57) return -1;
    do ch = b[++i];
    while (ch !== undefined && ch >= 48 && ch <= 57);
  }
  if (ch === 101 || ch === 69) {
    ch = b[++i];
    if (ch === 43 || ch === 45) ch = b[++i];
    if (ch === undefined || ch < 48 || ch > 57) return -1;
    do ch = b[++i];
    while (ch !== undefined && ch >= 48 && ch <= 57);
  }
  return i;
}

/** End of a JSON string starting at its opening quote (escapes allowed), or -1. */
function stringEnd(b: Uint8Array, i: number): number {
  const n = b.length;
  i++;
  while (i < n) {
    const ch = b[i]!;
    if (ch === QUOTE) return i + 1;
    if (ch < 32) return -1;
    if (ch === BACKSLASH) {
      const e = b[i + 1];
      if (e === 117) {
        for (let k = i + 2; k < i + 6; k++) {
          const h = b[k];
          if (
            h === undefined ||
            !(
              (h >= 48 && h <= 57) ||
              (h >= 65 && h <= 70) ||
              (h >= 97 && h <= 102)
            )
          )
            return -1;
        }
        i += 6;
        continue;
      }
      if (
        e !== QUOTE &&
        e !== BACKSLASH &&
        e !== 47 &&
        e !== 98 &&
        e !== 102 &&
        e !== 110 &&
        e !== 114 &&
        e !== 116
      )
        return -1;
      i += 2;
      continue;
    }
    i++;
  }
  return -1;
}

function skipWs(b: Uint8Array, i: number): number {
  while (isWs(b[i])) i++;
  return i;
}

/** End of any JSON value starting at `i` (no leading whitespace), or -1. */
function valueEnd(b: Uint8Array, i: number, depth: number): number {
  const ch = b[i];
  if (ch === QUOTE) return stringEnd(b, i);
  if (ch === 45 || (ch !== undefined && ch >= 48 && ch <= 57))
    return numberEnd(b, i);
  if (ch === LBRACE || ch === LBRACKET) {
    if (depth > 64) return -1;
    const close = ch === LBRACE ? RBRACE : RBRACKET;
    i = skipWs(b, i + 1);
    if (b[i] === close) return i + 1;
    for (;;) {
      if (close === RBRACE) {
        if (b[i] !== QUOTE) return -1;
        i = stringEnd(b, i);
        if (i < 0) return -1;
        i = skipWs(b, i);
        if (b[i] !== COLON) return -1;
        i = skipWs(b, i + 1);
      }
      i = valueEnd(b, i, depth + 1);
      if (i < 0) return -1;
      i = skipWs(b, i);
      if (b[i] === COMMA) {
        i = skipWs(b, i + 1);
        continue;
      }
      return b[i] === close ? i + 1 : -1;
    }
  }
  if (ch === 116 && b[i + 1] === 114 && b[i + 2] === 117 && b[i + 3] === 101)
    return i + 4;
  if (ch === 110 && b[i + 1] === 117 && b[i + 2] === 108 && b[i + 3] === 108)
    return i + 4;
  if (
    ch === 102 &&
    b[i + 1] === 97 &&
    b[i + 2] === 108 &&
    b[i + 3] === 115 &&
    b[i + 4] === 101
  )
    return i + 5;
  return -1;
}

// Scratch results of the string/list readers (avoids returning tuples).
let endPos = 0;
/** The condition ids `intList` read last, and how many. */
const condScratch: number[] = [];
let condLen = 0;

/**
 * A plain ASCII string at `i` (its opening quote) without escapes, else
 * undefined; interned (see `internSymbol`) when `intern` is given.
 */
function plainAscii(
  b: Uint8Array,
  i: number,
  intern: ScanSink | null,
): string | undefined {
  const start = i + 1;
  const n = b.length;
  let k = start;
  for (;;) {
    if (k >= n) return undefined;
    const ch = b[k]!;
    if (ch === QUOTE) break;
    if (ch === BACKSLASH || ch < 32 || ch > 126) return undefined;
    k++;
  }
  endPos = k + 1;
  return intern === null
    ? ascii(b, start, k)
    : internSymbol(b, start, k, intern);
}

/** A plain string (UTF-8 allowed, no escapes) at its opening quote, else undefined. */
function plainString(b: Uint8Array, i: number): string | undefined {
  const start = i + 1;
  const n = b.length;
  let k = start;
  for (;;) {
    if (k >= n) return undefined;
    const ch = b[k]!;
    if (ch === QUOTE) break;
    if (ch === BACKSLASH || ch < 32) return undefined;
    k++;
  }
  endPos = k + 1;
  return utf8(b, start, k);
}

/**
 * `[` small non-negative integers `]` at `i` into `condScratch`/`condLen`;
 * false when it is anything else.
 */
function intList(b: Uint8Array, i: number): boolean {
  condLen = 0;
  i = skipWs(b, i + 1);
  if (b[i] === RBRACKET) {
    endPos = i + 1;
    return true;
  }
  for (;;) {
    const start = i;
    let v = 0;
    let ch = b[i];
    while (ch !== undefined && ch >= 48 && ch <= 57) {
      v = v * 10 + (ch - 48);
      ch = b[++i];
    }
    const len = i - start;
    // Leading zeros, signs, fractions, exponents, long runs: leave to JSON.parse.
    if (len === 0 || len > 9 || (len > 1 && b[start] === 48)) return false;
    if (ch === 46 || ch === 101 || ch === 69) return false;
    condScratch[condLen++] = v;
    i = skipWs(b, i);
    if (b[i] === COMMA) {
      i = skipWs(b, i + 1);
      continue;
    }
    if (b[i] !== RBRACKET) return false;
    endPos = i + 1;
    return true;
  }
}

/**
 * Scans a whole frame into the sink.
 *
 * @returns false when it gave up; the sink's state is then to be discarded.
 *
 * One long function on purpose: an event's fields live in its locals,
 * which V8 keeps in registers across the whole object. Split into an
 * event scanner, a key classifier and a time reader it cost 4–8 % more per
 * trade (`node bench/dist/frame-path-ab.js --base <split>`, 2026-12-07).
 */
export function scanFrame(b: Uint8Array, sink: ScanSink): boolean {
  const n = b.length;
  let i = skipWs(b, 0);
  if (b[i] !== LBRACKET) return false;
  i = skipWs(b, i + 1);
  if (b[i] === RBRACKET) return skipWs(b, i + 1) === n;
  for (;;) {
    if (b[i] !== LBRACE) {
      i = valueEnd(b, i, 0);
      if (i < 0) return false;
      sink._notObject();
    } else {
      let ev = EV_MISSING;
      let sym: string | null | undefined;
      let symOk = false;
      let t: number | null | undefined;
      let p: number | null | undefined;
      let s: number | null | undefined;
      let x: number | null | undefined;
      // Conditions: absent, a list (in condScratch) or of the wrong type.
      let cState = C_ABSENT;
      let status: string | null | undefined;
      let message: string | null | undefined;
      let typed = true; // every known field had its expected type
      i = skipWs(b, i + 1);
      if (b[i] === RBRACE) i++;
      else
        for (;;) {
          if (b[i] !== QUOTE) return false;
          const ks = i + 1;
          let k = ks;
          for (;;) {
            if (k >= n) return false;
            const ch = b[k]!;
            if (ch === QUOTE) break;
            if (ch === BACKSLASH || ch < 32) return false;
            k++;
          }
          const klen = k - ks;
          i = k + 1;
          if (b[i] !== COLON) {
            i = skipWs(b, i);
            if (b[i] !== COLON) return false;
          }
          i++;
          if (isWs(b[i])) i = skipWs(b, i);
          const k0 = b[ks];
          let field = F_OTHER;
          if (klen === 1) {
            field =
              k0 === 116
                ? F_T
                : k0 === 99
                  ? F_C
                  : k0 === 112
                    ? F_P
                    : k0 === 115
                      ? F_S
                      : k0 === 120
                        ? F_X
                        : F_OTHER;
          } else if (klen === 2) {
            if (k0 === 101 && b[ks + 1] === 118) field = F_EV;
          } else if (klen === 3) {
            if (k0 === 115 && b[ks + 1] === 121 && b[ks + 2] === 109)
              field = F_SYM;
          } else if (klen === 6) {
            if (
              k0 === 115 &&
              b[ks + 1] === 116 &&
              b[ks + 2] === 97 &&
              b[ks + 3] === 116 &&
              b[ks + 4] === 117 &&
              b[ks + 5] === 115
            )
              field = F_STATUS;
          } else if (klen === 7) {
            if (
              k0 === 109 &&
              b[ks + 1] === 101 &&
              b[ks + 2] === 115 &&
              b[ks + 3] === 115 &&
              b[ks + 4] === 97 &&
              b[ks + 5] === 103 &&
              b[ks + 6] === 101
            )
              field = F_MESSAGE;
          }
          const v0 = b[i];
          if (field === F_OTHER) {
            i = valueEnd(b, i, 0);
            if (i < 0) return false;
          } else if (field === F_T) {
            if (v0 === 45 || (v0 !== undefined && v0 >= 48 && v0 <= 57)) {
              // Accumulate plain digits; anything else goes through Number().
              const start = i;
              let v = 0;
              let ch: number | undefined = v0;
              while (ch !== undefined && ch >= 48 && ch <= 57) {
                v = v * 10 + (ch - 48);
                ch = b[++i];
              }
              const len = i - start;
              if (
                len === 0 ||
                len > 15 ||
                ch === 46 ||
                ch === 101 ||
                ch === 69 ||
                (len > 1 && v0 === 48)
              ) {
                i = numberEnd(b, start);
                if (i < 0) return false;
                v = Number(ascii(b, start, i));
              }
              t = v;
            } else {
              i = valueEnd(b, i, 0);
              if (i < 0) return false;
              t = null;
              typed = false;
            }
          } else if (field === F_P || field === F_S || field === F_X) {
            let v: number | null = 0;
            if (v0 === 45 || (v0 !== undefined && v0 >= 48 && v0 <= 57)) {
              i = numberEnd(b, i);
            } else {
              i = valueEnd(b, i, 0);
              v = null;
              typed = false;
            }
            if (i < 0) return false;
            if (field === F_P) p = v;
            else if (field === F_S) s = v;
            else x = v;
          } else if (field === F_C) {
            if (v0 === LBRACKET) {
              if (!intList(b, i)) return false;
              i = endPos;
              cState = C_LIST;
            } else {
              i = valueEnd(b, i, 0);
              if (i < 0) return false;
              cState = C_BAD;
              typed = false;
            }
          } else if (v0 !== QUOTE) {
            i = valueEnd(b, i, 0);
            if (i < 0) return false;
            if (field === F_EV) ev = EV_BAD;
            else if (field === F_SYM) sym = null;
            else if (field === F_STATUS) status = null;
            else message = null;
            typed = false;
          } else if (field === F_EV) {
            if (b[i + 1] === 84 && b[i + 2] === QUOTE) {
              ev = EV_T;
              i += 3;
            } else {
              const str = plainAscii(b, i, null);
              if (str === undefined) return false;
              i = endPos;
              ev = str === 'status' ? EV_STATUS : EV_OTHER;
            }
          } else if (field === F_SYM) {
            const str = plainAscii(b, i, sink);
            if (str === undefined) return false;
            i = endPos;
            sym = str;
            symOk = lastVerdict();
          } else {
            const str = plainString(b, i);
            if (str === undefined) return false;
            i = endPos;
            if (field === F_STATUS) status = str;
            else message = str;
          }
          if (b[i] === COMMA) {
            i++;
            if (isWs(b[i])) i = skipWs(b, i);
            continue;
          }
          i = skipWs(b, i);
          if (b[i] === COMMA) {
            i = skipWs(b, i + 1);
            continue;
          }
          if (b[i] !== RBRACE) return false;
          i++;
          break;
        }
      if (ev === EV_T) {
        if (typed && sym !== undefined && t !== undefined)
          sink._trade(
            sym as string,
            t as number,
            condScratch,
            cState === C_LIST ? condLen : -1,
            symOk,
          );
        else
          sink._badTrade(
            sym,
            t,
            p,
            s,
            x,
            cState === C_LIST
              ? condScratch.slice(0, condLen)
              : cState === C_BAD
                ? null
                : undefined,
          );
      } else if (ev === EV_STATUS) sink._status(status, message);
      else if (ev === EV_OTHER) sink._ignored();
      else sink._badEvent();
    }
    i = skipWs(b, i);
    if (b[i] === COMMA) {
      i = skipWs(b, i + 1);
      continue;
    }
    if (b[i] !== RBRACKET) return false;
    return skipWs(b, i + 1) === n;
  }
}
