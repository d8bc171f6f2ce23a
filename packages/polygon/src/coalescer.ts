/**
 * The newest trade time per ticker since the last drain. Memory is bounded
 * by the number of distinct tickers, however long publishing fails.
 */
export interface Coalescer {
  /** Records a trade time; keeps the maximum per ticker. */
  add(ticker: string, ms: number): void;
  /** Returns the pending map and starts a new, empty one. */
  drain(): Map<string, number>;
  /** Puts a batch that could not be published back, keeping the maximum per ticker. */
  mergeBack(batch: ReadonlyMap<string, number>): void;
  /** Number of tickers pending. */
  readonly size: number;
}

/** Creates an empty coalescer. */
export function createCoalescer(): Coalescer {
  let pending = new Map<string, number>();
  return {
    add(ticker, ms) {
      const cur = pending.get(ticker);
      if (cur === undefined || ms > cur) pending.set(ticker, ms);
    },
    drain() {
      const out = pending;
      pending = new Map();
      return out;
    },
    mergeBack(batch) {
      for (const [ticker, ms] of batch) {
        const cur = pending.get(ticker);
        if (cur === undefined || ms > cur) pending.set(ticker, ms);
      }
    },
    get size() {
      return pending.size;
    },
  };
}
