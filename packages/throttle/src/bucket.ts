import { echoValue } from '@tickpulse/contracts';

/**
 * Bucket arithmetic for a strategy's `min_timeframe`, with the existing Go
 * backend's syntax and calendar (docs/go-backend.md#bucket-start) but calendar-correct
 * where the backend is not. Every case where the two differ is listed, with an
 * example, in packages/throttle/BUCKETS.md.
 *
 * - `m`, `h` (no unit = minutes): floor to a multiple of n × unit counted from
 *   the Unix epoch, in UTC.
 * - `d`, `w`, `q`, `y`: calendar periods starting at 00:00 America/New_York
 *   (weeks start on Monday); multiples are counted in calendar periods from
 *   the epoch (days since 1970-01-01 ET, weeks since Monday 1970-01-05 ET,
 *   quarters since 1970Q1, years since 1970) and floored to a multiple of n.
 */

/** A timeframe unit: minutes, hours, days, weeks, quarters, years. */
export type TimeframeUnit = 'm' | 'h' | 'd' | 'w' | 'q' | 'y';

/** A parsed timeframe: `n` units. */
export interface Timeframe {
  readonly n: number;
  readonly unit: TimeframeUnit;
}

/** A timeframe string the backend's syntax does not accept; `reason` says why. */
export class InvalidTimeframeError extends Error {
  override name = 'InvalidTimeframeError';
  constructor(
    readonly timeframe: unknown,
    readonly reason: string,
  ) {
    super(`invalid timeframe ${echoValue(timeframe)}: ${reason}`);
  }
}

/** The zone whose midnight starts a day, week, quarter and year bucket. */
export const BUCKET_TIME_ZONE = 'America/New_York';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Day number (since 1970-01-01) of Monday 1970-01-05, where week 0 starts. */
const FIRST_MONDAY_DAY = 4;

// Nominal length of each unit, only to reject absurd multiples (a bucket
// longer than 1000 years cannot be computed with Date and means nothing).
const NOMINAL_MS: Record<TimeframeUnit, number> = {
  m: MINUTE_MS,
  h: HOUR_MS,
  d: DAY_MS,
  w: 7 * DAY_MS,
  q: 91.3125 * DAY_MS,
  y: 365.25 * DAY_MS,
};
const MAX_SPAN_MS = 1000 * NOMINAL_MS.y;

// Instants outside this range are not trading times; inside it Intl and Date
// are exact (no eras, no year-0 ambiguity).
const MIN_TIME_MS = Date.UTC(1900, 0, 1);
const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Parses a timeframe: `^(\d+)([mhdwqy]?)$`, case-insensitive, no unit meaning
 * minutes (`'15'` = `'15m'`), as the Go backend's `bucketStart` accepts it.
 *
 * @throws InvalidTimeframeError for a non-string, an empty string, an unknown
 *   unit or malformed text, a zero multiple, or a bucket longer than 1000 years.
 */
export function parseTimeframe(tf: unknown): Timeframe {
  if (typeof tf !== 'string') {
    throw new InvalidTimeframeError(tf, 'must be a string');
  }
  if (tf === '') throw new InvalidTimeframeError(tf, 'empty timeframe');
  const m = /^(\d+)([mhdwqy]?)$/.exec(tf.toLowerCase());
  if (!m) {
    throw new InvalidTimeframeError(
      tf,
      'expected a count and an optional unit m, h, d, w, q or y (e.g. 5m, 1h, 1d)',
    );
  }
  const n = Number(m[1]);
  const unit = (m[2] || 'm') as TimeframeUnit;
  if (n === 0) throw new InvalidTimeframeError(tf, 'count must be at least 1');
  if (!Number.isSafeInteger(n) || n * NOMINAL_MS[unit] > MAX_SPAN_MS) {
    throw new InvalidTimeframeError(tf, 'bucket longer than 1000 years');
  }
  return { n, unit };
}

/**
 * Start of the bucket holding `timeMs`, in Unix ms — the value stored in
 * `STRAT:<id>:LAST` as a decimal string.
 *
 * @param timeMs an instant in Unix ms (years 1900–9999).
 * @param timeframe a timeframe string (see `parseTimeframe`) or a parsed one.
 * @throws InvalidTimeframeError for a bad timeframe; RangeError for a bad time.
 */
export function bucketStart(
  timeMs: number,
  timeframe: string | Timeframe,
): number {
  const { n, unit } =
    typeof timeframe === 'string' ? parseTimeframe(timeframe) : timeframe;
  if (
    !Number.isFinite(timeMs) ||
    timeMs < MIN_TIME_MS ||
    timeMs > MAX_TIME_MS
  ) {
    throw new RangeError(
      `time must be Unix ms between 1900 and 9999, got ${timeMs}`,
    );
  }
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidTimeframeError(`${n}${unit}`, 'count must be at least 1');
  }
  switch (unit) {
    case 'm':
    case 'h': {
      const size = n * (unit === 'm' ? MINUTE_MS : HOUR_MS);
      return Math.floor(timeMs / size) * size;
    }
    case 'd': {
      const day = easternDayNumber(timeMs);
      return easternMidnight(floorTo(day, n));
    }
    case 'w': {
      const week = Math.floor(
        (easternDayNumber(timeMs) - FIRST_MONDAY_DAY) / 7,
      );
      return easternMidnight(FIRST_MONDAY_DAY + floorTo(week, n) * 7);
    }
    case 'q': {
      const { year, month } = easternWallClock(timeMs);
      const q = floorTo((year - 1970) * 4 + Math.floor((month - 1) / 3), n);
      const y = 1970 + Math.floor(q / 4);
      return easternMidnight(
        civilDayNumber(y, (q - (y - 1970) * 4) * 3 + 1, 1),
      );
    }
    case 'y': {
      const { year } = easternWallClock(timeMs);
      return easternMidnight(
        civilDayNumber(1970 + floorTo(year - 1970, n), 1, 1),
      );
    }
  }
}

function floorTo(value: number, n: number): number {
  return Math.floor(value / n) * n;
}

const formatter = new Intl.DateTimeFormat('en-US', {
  timeZone: BUCKET_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The New York wall-clock reading at an instant. */
function easternWallClock(timeMs: number): WallClock {
  const out: Record<string, number> = {};
  for (const p of formatter.formatToParts(new Date(timeMs))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return out as unknown as WallClock;
}

/** Days since 1970-01-01 of a proleptic Gregorian calendar date. */
function civilDayNumber(year: number, month: number, day: number): number {
  return Math.round(Date.UTC(year, month - 1, day) / DAY_MS);
}

/** Days since 1970-01-01 of the New York calendar date at an instant. */
function easternDayNumber(timeMs: number): number {
  const { year, month, day } = easternWallClock(timeMs);
  return civilDayNumber(year, month, day);
}

/** UTC offset of New York at an instant, in ms (e.g. −5 h in winter). */
function easternOffsetMs(timeMs: number): number {
  const w = easternWallClock(timeMs);
  const wallAsUtc = Date.UTC(
    w.year,
    w.month - 1,
    w.day,
    w.hour,
    w.minute,
    w.second,
  );
  return wallAsUtc - Math.floor(timeMs / 1000) * 1000;
}

/**
 * The instant of 00:00 New York time on a calendar day. New York changes its
 * clocks at 02:00, so midnight always exists and is unique; the loop settles
 * in one step and a second pass only guards against a zone rule that moves.
 */
function easternMidnight(dayNumber: number): number {
  const wallMs = dayNumber * DAY_MS;
  let guess = wallMs - easternOffsetMs(wallMs);
  for (let i = 0; i < 3; i++) {
    const next = wallMs - easternOffsetMs(guess);
    if (next === guess) break;
    guess = next;
  }
  return guess;
}
