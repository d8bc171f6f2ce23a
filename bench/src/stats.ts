/** Summary of repeated measurements: the median and the spread around it. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  p25: number;
  p75: number;
}

/** The q-quantile (0..1) of sorted values, linearly interpolated. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

/** The q-quantile (0..1) of unsorted values. */
export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(
    [...values].sort((a, b) => a - b),
    q,
  );
}

/** Median, min/max and quartiles of a sample. */
export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    median: quantileSorted(s, 0.5),
    min: s[0] ?? NaN,
    max: s[s.length - 1] ?? NaN,
    p25: quantileSorted(s, 0.25),
    p75: quantileSorted(s, 0.75),
  };
}

/** Formats a number with thin grouping for tables (e.g. 1 234 567). */
export function fmtInt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** Formats with a fixed number of decimals. */
export function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}
