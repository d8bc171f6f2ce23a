import { isNormalizedTicker } from '@tickpulse/contracts';
import { jsonBoundProblem, type JsonBounds } from './json-guard.js';
import { scanFrame, type ScanSink } from './scanner.js';
import type { StatusEvent } from './types.js';

/**
 * Why an event (or a whole frame) was skipped. Bounded: these are the only
 * values of the `reason` label.
 */
export const INVALID_REASONS = [
  /** The frame is not JSON. */
  'malformed_json',
  /** The frame is JSON but not an array. */
  'not_array',
  /** An array element is not an object. */
  'not_object',
  /** An element has no string `ev`. */
  'bad_event',
  /** A status event without a string `status`. */
  'bad_status',
  /** A trade without `sym` or `t`. */
  'missing_field',
  /** A trade whose `sym`, `t`, `p`, `s` or `x` has the wrong type. */
  'bad_field',
  /** A trade whose `c` is not a list of non-negative integers. */
  'bad_conditions',
  /** A trade whose `sym` is not a ticker symbol. */
  'bad_ticker',
  /** A trade time of no known unit (see `toMillis`). */
  'bad_timestamp',
  /** A trade time too far ahead of the local clock. */
  'future_timestamp',
  /** A trade time too far behind the local clock. */
  'stale_timestamp',
  /** A frame of more than `maxBytes` bytes (refused unread). */
  'frame_too_large',
  /** A frame nested deeper than `maxDepth` (refused without `JSON.parse`). */
  'frame_too_deep',
  /**
   * A frame the byte scanner cannot read exactly and with more than
   * `maxValues` values for `JSON.parse` to allocate.
   */
  'frame_too_many_values',
] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

const R_MALFORMED = 0;
const R_NOT_ARRAY = 1;
const R_NOT_OBJECT = 2;
const R_BAD_EVENT = 3;
const R_BAD_STATUS = 4;
const R_MISSING = 5;
const R_BAD_FIELD = 6;
const R_BAD_CONDITIONS = 7;
const R_BAD_TICKER = 8;
const R_TOO_LARGE = 12;
const R_TOO_DEEP = 13;
const R_TOO_MANY_VALUES = 14;

/**
 * Default frame bounds. Polygon's frames are arrays of flat events (depth 3)
 * and the official Go client reads at most 1 MB per frame with `T.*`; 4 MiB
 * leaves room and the byte scanner reads it in tens of ms, allocating only
 * per trade. 64 is the depth the scanner itself handles. `maxValues` bounds
 * only the `JSON.parse` fallback: 200 000 (a frame of ~20 000 trades) parse
 * in ≈ 10–30 ms whatever they are.
 */
export const DEFAULT_FRAME_BOUNDS: JsonBounds = {
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxValues: 200_000,
};

/**
 * Trades a parser keeps its buffers for between frames: one pathological
 * frame must not leave its millions of entries allocated for the life of
 * the process (385 MB were held after one).
 */
const RETAINED_TRADES = 16_384;
/** Index of a reason in INVALID_REASONS. */
export const reasonIndex = (r: InvalidReason): number =>
  INVALID_REASONS.indexOf(r);

/** One trade as the parser hands it on (only the fields tickpulse uses). */
export interface RawTrade {
  sym: string;
  t: number;
  c: number[] | undefined;
}

/** Everything one frame carried. */
export interface ParsedFrame {
  trades: RawTrade[];
  statuses: StatusEvent[];
  /** Skipped events (or frames) by reason; only non-zero reasons appear. */
  invalid: Partial<Record<InvalidReason, number>>;
  /** Events of other types (`Q`, `A`, …) that tickpulse does not use. */
  ignored: number;
  /** Trade events (`ev: "T"`), valid or not. */
  tradeEvents: number;
}

// Valid tickers seen recently: a Set lookup is cheaper than the regex on the
// hot path. Bounded so that a stream of garbage symbols cannot grow it.
const knownTickers = new Set<string>();
const KNOWN_TICKERS_MAX = 100_000;

function tickerOk(sym: string): boolean {
  if (knownTickers.has(sym)) return true;
  if (!isNormalizedTicker(sym)) return false;
  if (knownTickers.size >= KNOWN_TICKERS_MAX) knownTickers.clear();
  knownTickers.add(sym);
  return true;
}

function isConditionList(c: unknown): c is number[] {
  if (!Array.isArray(c)) return false;
  for (const id of c) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) return false;
  }
  return true;
}

/**
 * The one definition of a valid trade, shared by both parse paths so they
 * cannot disagree. Returns -1 when valid, else a reason index.
 */
function tradeProblem(
  sym: unknown,
  t: unknown,
  p: unknown,
  s: unknown,
  x: unknown,
  c: unknown,
  /** The scanner's remembered verdict on `sym`, when it has one. */
  symOk?: boolean,
): number {
  if (sym === undefined || t === undefined) return R_MISSING;
  if (typeof sym !== 'string' || typeof t !== 'number') return R_BAD_FIELD;
  if (
    (p !== undefined && typeof p !== 'number') ||
    (s !== undefined && typeof s !== 'number') ||
    (x !== undefined && typeof x !== 'number')
  ) {
    return R_BAD_FIELD;
  }
  if (c !== undefined && !isConditionList(c)) return R_BAD_CONDITIONS;
  if (!(symOk ?? tickerOk(sym))) return R_BAD_TICKER;
  return -1;
}

/**
 * Parses frames into reusable buffers: no object per trade on the hot path.
 * After `parse`, trades `0..count-1` are in `syms`/`times`, and trade n's
 * condition ids are `condIds[condFrom[n]..condTo[n])` (`condFrom[n]` is -1
 * when the trade had no `c`).
 *
 * Two paths give identical results. The fast path is a scanner specialised
 * for what Polygon sends (an array of flat objects with plain strings,
 * numbers and integer lists) that reads only the fields tickpulse uses and
 * validates the grammar of the rest without building it. Anything it is
 * not sure about (escapes, exotic numbers, nesting inside known fields, bad
 * syntax) makes it give up, and the frame goes through `JSON.parse`.
 */
export class FrameParser implements ScanSink {
  constructor(private readonly bounds: JsonBounds = DEFAULT_FRAME_BOUNDS) {}

  count = 0;
  readonly syms: string[] = [];
  readonly times: number[] = [];
  readonly condFrom: number[] = [];
  readonly condTo: number[] = [];
  /** Every trade's condition ids of the last frame, back to back. */
  readonly condIds: number[] = [];
  statuses: StatusEvent[] = [];
  /** Per-reason counts of the last frame, indexed like INVALID_REASONS. */
  readonly invalid = new Uint32Array(INVALID_REASONS.length);
  ignored = 0;
  tradeEvents = 0;
  /** Frames that took each path (for tests and a debug metric). */
  fastFrames = 0;
  slowFrames = 0;

  /**
   * Parses one WebSocket message. Never throws. A frame beyond the size
   * bound is refused unread; one the scanner gives up on goes to
   * `JSON.parse` only within the depth and value bounds.
   */
  parse(data: string | Buffer): void {
    const len =
      typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
    if (len > this.bounds.maxBytes) {
      this.reset();
      this.invalid[R_TOO_LARGE]!++;
      return;
    }
    if (this.parseFast(data)) {
      this.fastFrames++;
      return;
    }
    const problem = jsonBoundProblem(data, this.bounds);
    if (problem) {
      this.reset();
      this.invalid[problem === 'too_deep' ? R_TOO_DEEP : R_TOO_MANY_VALUES]!++;
    } else {
      this.parseSlow(typeof data === 'string' ? data : data.toString('utf8'));
      this.slowFrames++;
    }
  }

  /**
   * Lets go of the trade buffers when the last frame grew them past
   * RETAINED_TRADES (call once the frame's trades have been read).
   */
  trim(): void {
    if (this.syms.length <= RETAINED_TRADES) return;
    this.syms.length = 0;
    this.times.length = 0;
    this.condFrom.length = 0;
    this.condTo.length = 0;
    this.condIds.length = 0;
    this.count = 0;
  }

  private reset(): void {
    this.count = 0;
    this.condIds.length = 0;
    this.invalid.fill(0);
    this.ignored = 0;
    this.tradeEvents = 0;
    if (this.statuses.length > 0) this.statuses = [];
  }

  private push(
    sym: string,
    t: number,
    c: readonly number[] | undefined,
    cLen = c === undefined ? -1 : c.length,
  ): void {
    const n = this.count++;
    this.syms[n] = sym;
    this.times[n] = t;
    if (cLen < 0) {
      this.condFrom[n] = -1;
      this.condTo[n] = -1;
      return;
    }
    const ids = this.condIds;
    const from = ids.length;
    for (let j = 0; j < cLen; j++) ids[from + j] = c![j]!;
    this.condFrom[n] = from;
    this.condTo[n] = from + cLen;
  }

  /** The JSON.parse path: the reference semantics. */
  parseSlow(text: string): void {
    this.reset();
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.invalid[R_MALFORMED]!++;
      return;
    }
    if (!Array.isArray(frame)) {
      this.invalid[R_NOT_ARRAY]!++;
      return;
    }
    for (const e of frame) {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) {
        this.invalid[R_NOT_OBJECT]!++;
        continue;
      }
      const ev = (e as Record<string, unknown>).ev;
      if (typeof ev !== 'string') {
        this.invalid[R_BAD_EVENT]!++;
      } else if (ev === 'T') {
        this.tradeEvents++;
        const o = e as Record<string, unknown>;
        const problem = tradeProblem(o.sym, o.t, o.p, o.s, o.x, o.c);
        if (problem >= 0) this.invalid[problem]!++;
        else this.push(o.sym as string, o.t as number, o.c as number[]);
      } else if (ev === 'status') {
        const { status, message } = e as Record<string, unknown>;
        if (typeof status !== 'string') this.invalid[R_BAD_STATUS]!++;
        else
          this.statuses.push({
            ev: 'status',
            status,
            message: typeof message === 'string' ? message : '',
          });
      } else {
        this.ignored++;
      }
    }
  }

  /**
   * The byte scanner path; false when it gave up (the buffers are then
   * garbage and the caller must use `parseSlow`).
   */
  parseFast(data: string | Uint8Array): boolean {
    this.reset();
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    return scanFrame(bytes, this);
  }

  /** @internal sink for the scanner */
  _trade(
    sym: string,
    t: number,
    conds: readonly number[],
    condCount: number,
    symOk: boolean,
  ): void {
    // Typed by the scanner, conditions included: only the symbol is left
    // to judge, and its verdict came with it.
    this.tradeEvents++;
    if (!symOk) this.invalid[R_BAD_TICKER]!++;
    else this.push(sym, t, conds, condCount);
  }

  /** @internal sink for the scanner */
  _badTrade(
    sym: string | null | undefined,
    t: number | null | undefined,
    p: number | null | undefined,
    s: number | null | undefined,
    x: number | null | undefined,
    c: number[] | null | undefined,
  ): void {
    this.tradeEvents++;
    const problem = tradeProblem(sym, t, p, s, x, c);
    if (problem >= 0) this.invalid[problem]!++;
    else this.push(sym as string, t as number, c as number[] | undefined);
  }

  /** @internal sink for the scanner */
  _symbolOk(sym: string): boolean {
    return isNormalizedTicker(sym);
  }

  /** @internal sink for the scanner */
  _notObject(): void {
    this.invalid[R_NOT_OBJECT]!++;
  }

  /** @internal sink for the scanner */
  _badEvent(): void {
    this.invalid[R_BAD_EVENT]!++;
  }

  /** @internal sink for the scanner */
  _ignored(): void {
    this.ignored++;
  }

  /** @internal sink for the scanner */
  _status(
    status: string | null | undefined,
    message: string | null | undefined,
  ): void {
    if (typeof status !== 'string') this.invalid[R_BAD_STATUS]!++;
    else
      this.statuses.push({
        ev: 'status',
        status,
        message: typeof message === 'string' ? message : '',
      });
  }

  /** The last frame as plain objects (tests, tools). */
  toParsedFrame(): ParsedFrame {
    const trades: RawTrade[] = [];
    for (let n = 0; n < this.count; n++)
      trades.push({
        sym: this.syms[n]!,
        t: this.times[n]!,
        c:
          this.condFrom[n]! < 0
            ? undefined
            : this.condIds.slice(this.condFrom[n], this.condTo[n]),
      });
    const invalid: Partial<Record<InvalidReason, number>> = {};
    INVALID_REASONS.forEach((r, idx) => {
      if (this.invalid[idx]) invalid[r] = this.invalid[idx];
    });
    return {
      trades,
      statuses: this.statuses,
      invalid,
      ignored: this.ignored,
      tradeEvents: this.tradeEvents,
    };
  }
}

/**
 * Parses one WebSocket message (a string or a Buffer) into trades, statuses
 * and skipped events by reason. Never throws.
 */
export function parseFrame(data: string | Buffer): ParsedFrame {
  const p = new FrameParser();
  p.parse(data);
  return p.toParsedFrame();
}
