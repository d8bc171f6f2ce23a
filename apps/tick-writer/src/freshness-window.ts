/** Freshness percentiles of one summary window, in seconds (null when no batch was written). */
export interface FreshnessSnapshot {
  batches: number;
  p50S: number | null;
  p99S: number | null;
  maxS: number | null;
}

/** Collects per-batch freshness for the summary log line, in bounded memory. */
export interface FreshnessWindow {
  add(seconds: number): void;
  /** The window's percentiles; starts a new window. */
  take(): FreshnessSnapshot;
}

/**
 * A uniform reservoir sample (Algorithm R) of one window's freshness values.
 * The histogram serves Prometheus; this serves the log line, whose operators
 * want exact-ish p50/p99 of the last five minutes rather than bucket bounds.
 * `capacity` samples keep p99 meaningful at any batch rate.
 *
 * @param random injectable for deterministic tests.
 */
export function createFreshnessWindow(
  capacity = 4096,
  random: () => number = Math.random,
): FreshnessWindow {
  let sample: number[] = [];
  let seen = 0;
  let max: number | null = null;
  return {
    add(seconds) {
      seen++;
      if (max === null || seconds > max) max = seconds;
      if (sample.length < capacity) {
        sample.push(seconds);
        return;
      }
      const j = Math.floor(random() * seen);
      if (j < capacity) sample[j] = seconds;
    },
    take() {
      const sorted = sample.sort((a, b) => a - b);
      const snapshot: FreshnessSnapshot = {
        batches: seen,
        p50S: quantile(sorted, 0.5),
        p99S: quantile(sorted, 0.99),
        maxS: max,
      };
      sample = [];
      seen = 0;
      max = null;
      return snapshot;
    },
  };
}

/** Nearest-rank quantile of an ascending array, rounded to the millisecond; null when empty. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil(q * sorted.length) - 1),
  );
  return Math.round(sorted[rank]! * 1000) / 1000;
}
