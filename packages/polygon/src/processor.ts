import type { Coalescer } from './coalescer.js';
import type { JsonBounds } from './json-guard.js';
import { FrameParser, INVALID_REASONS, type InvalidReason } from './parser.js';
import {
  EXCLUDE,
  MAX_CONDITION_ID,
  UNKNOWN,
  type ConditionPolicy,
} from './policy.js';
import {
  DEFAULT_TIMESTAMP_BOUNDS,
  toMillis,
  type TimestampBounds,
} from './timestamp.js';
import type { StatusEvent } from './types.js';

const R_BAD_TS = INVALID_REASONS.indexOf('bad_timestamp');
const R_FUTURE_TS = INVALID_REASONS.indexOf('future_timestamp');
const R_STALE_TS = INVALID_REASONS.indexOf('stale_timestamp');

/** What one frame contributed; the caller turns it into metrics. */
export interface FrameResult {
  /** Trade events (`ev: "T"`), valid or not. */
  received: number;
  /** Trades that passed validation and the policy and reached the coalescer. */
  eligible: number;
  /**
   * Eligible trades the coalescer refused: their ticker was new and the
   * ticker cap was reached.
   */
  refused: number;
  /** Skipped trades (and frames/events) by reason; only non-zero reasons are present. */
  invalid: Partial<Record<InvalidReason, number>> | null;
  /** Trades excluded by the policy, by the (first) excluding condition id. */
  filtered: Map<number, number> | null;
  /** Condition ids outside the reference table (allowed, counted). */
  unknownConditions: number;
  /** Events of types tickpulse does not use. */
  ignored: number;
  statuses: StatusEvent[];
  /** The newest valid trade time in the frame (ms), or -1 when there was none. */
  newestMs: number;
}

/** Turns WebSocket frames into per-ticker newest eligible trade times. */
export interface TradeProcessor {
  /**
   * Parses, validates, filters and coalesces one frame, synchronously.
   * Never throws.
   */
  processFrame(data: string | Buffer, nowMs: number): FrameResult;
  /** The parser, for its fast/slow path counters. */
  readonly parser: FrameParser;
}

/**
 * Creates the ingest hot path: parse → validate (ticker, timestamp) →
 * condition policy → coalesce. Invariant per frame: `received` equals
 * `eligible` + `refused` + the sum of `filtered` + the trade-level
 * `invalid` counts.
 */
export function createTradeProcessor(opts: {
  policy: ConditionPolicy;
  coalescer: Coalescer;
  bounds?: TimestampBounds;
  /** Frame size and nesting bounds (default `DEFAULT_FRAME_BOUNDS`). */
  frameBounds?: JsonBounds;
}): TradeProcessor {
  const parser = new FrameParser(opts.frameBounds);
  const table = opts.policy.table;
  const coalescer = opts.coalescer;
  const bounds = opts.bounds ?? DEFAULT_TIMESTAMP_BOUNDS;

  return {
    parser,
    processFrame(data, nowMs) {
      parser.parse(data);
      const maxMs = nowMs + bounds.futureToleranceMs;
      const minMs = nowMs - bounds.maxAgeMs;
      const inv = parser.invalid;
      let eligible = 0;
      let refused = 0;
      let unknown = 0;
      let newest = -1;
      let filtered: Map<number, number> | null = null;
      const { syms, times, condFrom, condTo, condIds } = parser;
      for (let n = 0, count = parser.count; n < count; n++) {
        const ms = toMillis(times[n]!);
        if (ms !== ms) {
          inv[R_BAD_TS]!++;
          continue;
        }
        if (ms > maxMs) {
          inv[R_FUTURE_TS]!++;
          continue;
        }
        if (ms < minMs) {
          inv[R_STALE_TS]!++;
          continue;
        }
        if (ms > newest) newest = ms;
        let excludedBy = -1;
        // An absent `c` has from = to = -1: no conditions.
        for (let j = condFrom[n]!, to = condTo[n]!; j < to; j++) {
          const id = condIds[j]!;
          const cls = id < MAX_CONDITION_ID ? table[id] : UNKNOWN;
          if (cls === EXCLUDE) {
            excludedBy = id;
            break;
          }
          if (cls === UNKNOWN) unknown++;
        }
        if (excludedBy >= 0) {
          filtered ??= new Map();
          filtered.set(excludedBy, (filtered.get(excludedBy) ?? 0) + 1);
          continue;
        }
        if (coalescer.add(syms[n]!, ms)) eligible++;
        else refused++;
      }
      parser.trim();
      let invalid: Partial<Record<InvalidReason, number>> | null = null;
      for (let r = 0; r < inv.length; r++) {
        if (inv[r]) (invalid ??= {})[INVALID_REASONS[r]!] = inv[r];
      }
      return {
        received: parser.tradeEvents,
        eligible,
        refused,
        invalid,
        filtered,
        unknownConditions: unknown,
        ignored: parser.ignored,
        statuses: parser.statuses,
        newestMs: newest,
      };
    },
  };
}
