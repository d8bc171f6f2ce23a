import { bucketStart, parseTimeframe } from '../src/bucket';

/**
 * A faithful emulation of the Go backend's `bucketStart` (docs/go-backend.md#bucket-start;
 * `services/backend/internal/services/alerts/loop.go` in the Go repository), used only to pin
 * the documented differences in BUCKETS.md. It reuses tickpulse's `1d`
 * bucket for "00:00 ET of a calendar day", which both implementations agree on.
 */
export function goBucketStart(timeMs: number, tf: string): number {
  const { n, unit } = parseTimeframe(tf);
  const DAY = 86_400_000;
  const HOUR = 3_600_000;
  // Go's zero Time is 0001-01-01 00:00 UTC; Truncate rounds down relative to it.
  const GO_ZERO_TO_UNIX_MS = 62_135_596_800_000;
  const etMidnightOfDay = (day: number) =>
    bucketStart(day * DAY + 17 * HOUR, '1d');
  const trunc = Math.trunc;
  switch (unit) {
    case 'm':
    case 'h': {
      const size = n * (unit === 'm' ? 60_000 : HOUR);
      const sinceZero = timeMs + GO_ZERO_TO_UNIX_MS;
      return timeMs - (((sinceZero % size) + size) % size);
    }
    case 'd': {
      if (n === 1) return bucketStart(timeMs, '1d');
      const epoch = etMidnightOfDay(0);
      const days = trunc((timeMs - epoch) / HOUR / 24);
      return etMidnightOfDay(trunc(days / n) * n);
    }
    case 'w': {
      const weekStart = bucketStart(timeMs, '1w');
      if (n === 1) return weekStart;
      const epoch = etMidnightOfDay(4);
      const weeks = trunc((weekStart - epoch) / HOUR / 168);
      return etMidnightOfDay(4 + trunc(weeks / n) * n * 7);
    }
    default:
      // q and y use calendar arithmetic in Go as well; identical after 1970.
      return bucketStart(timeMs, tf);
  }
}
