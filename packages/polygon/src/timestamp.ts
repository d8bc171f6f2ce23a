import { TICK_FUTURE_TOLERANCE_MS } from '@tickpulse/contracts';

/** Why a trade time was rejected (a bounded metric label). */
export type TimestampRejection =
  'bad_timestamp' | 'future_timestamp' | 'stale_timestamp';

/** Bounds for a plausible live trade time. */
export interface TimestampBounds {
  /** How far ahead of the local clock a trade may be (clock skew). */
  futureToleranceMs: number;
  /** How far behind the local clock a trade may be (late TRF prints arrive minutes late). */
  maxAgeMs: number;
}

/**
 * Defaults: the `ticks` contract's future bound (10 s of skew is more than
 * NTP-synced hosts ever show; tick-writer enforces the same bound), and 24 h
 * keeps every late print of a session while rejecting replayed or
 * mis-scaled values (a seconds value divided as ns lands in 1970).
 */
export const DEFAULT_TIMESTAMP_BOUNDS: TimestampBounds = {
  futureToleranceMs: TICK_FUTURE_TOLERANCE_MS,
  maxAgeMs: 24 * 3600_000,
};

/**
 * Converts a trade time to Unix milliseconds by magnitude: the WebSocket
 * sends ms (13 digits), REST and flat files ns (19 digits); µs is accepted
 * for completeness. Returns NaN for anything else (seconds, negative,
 * non-finite), which the caller counts as `bad_timestamp`.
 */
export function toMillis(t: number): number {
  if (t >= 1e12 && t < 1e13) return Math.floor(t);
  if (t >= 1e15 && t < 1e16) return Math.floor(t / 1e3);
  if (t >= 1e18 && t < 1e19) return Math.floor(t / 1e6);
  return NaN;
}

/**
 * Normalises a trade time and checks it against the local clock.
 *
 * @returns the time in Unix ms, or why it was rejected.
 */
export function normalizeTimestamp(
  t: number,
  nowMs: number,
  bounds: TimestampBounds = DEFAULT_TIMESTAMP_BOUNDS,
): number | TimestampRejection {
  const ms = toMillis(t);
  if (ms !== ms) return 'bad_timestamp';
  if (ms > nowMs + bounds.futureToleranceMs) return 'future_timestamp';
  if (ms < nowMs - bounds.maxAgeMs) return 'stale_timestamp';
  return ms;
}
