/**
 * The newest trade time per ticker since the last drain. Memory is bounded
 * by the number of distinct tickers, however long publishing fails, and the
 * number of distinct tickers is bounded by `maxTickers`.
 */
export interface Coalescer {
  /**
   * Records a trade time; keeps the maximum per ticker. Returns false (and
   * counts it in `refused`) when the ticker is new and `maxTickers` distinct
   * tickers have already been accepted.
   */
  add(ticker: string, ms: number): boolean;
  /** Returns the pending map and starts a new, empty one. */
  drain(): Map<string, number>;
  /**
   * Takes at most `max` pending tickers (the oldest entries first) and
   * leaves the rest pending.
   */
  take(max: number): Map<string, number>;
  /** Puts a batch that could not be published back, keeping the maximum per ticker. */
  mergeBack(batch: ReadonlyMap<string, number>): void;
  /** Number of tickers pending. */
  readonly size: number;
  /** Distinct tickers accepted since the coalescer was created (0 without a cap). */
  readonly known: number;
  /** Trades (and healed ticks) refused because their ticker was new past `maxTickers`. */
  readonly refused: number;
  /** Distinct tickers refused (each counted once, up to `maxTickers` remembered). */
  readonly refusedTickers: number;
}

/** Options of `createCoalescer`. */
export interface CoalescerOptions {
  /**
   * Most distinct tickers ever accepted. A feed (or a REST snapshot) that
   * names millions of valid-looking symbols would otherwise grow the pending
   * map, every job and TICK:UPD without limit. Tickers accepted first stay
   * accepted: a flood of new symbols can never evict a known one.
   * Default: unbounded (tools and tests).
   */
  maxTickers?: number;
}

/** Creates an empty coalescer. */
export function createCoalescer(opts: CoalescerOptions = {}): Coalescer {
  const maxTickers = opts.maxTickers ?? Number.POSITIVE_INFINITY;
  let pending = new Map<string, number>();
  // Only needed once there is a cap: then every accepted ticker is
  // remembered, pending or not, so the cap counts distinct tickers and not
  // tickers per flush window.
  const known = Number.isFinite(maxTickers) ? new Set<string>() : null;
  // Distinct refused symbols, remembered up to the same bound so that the
  // count says "how many symbols" without growing with the flood.
  const refusedSet = known ? new Set<string>() : null;
  let refusedTickers = 0;
  let refused = 0;

  const admit = (ticker: string): boolean => {
    if (known === null || known.has(ticker)) return true;
    if (known.size < maxTickers) {
      known.add(ticker);
      return true;
    }
    refused++;
    if (!refusedSet!.has(ticker)) {
      refusedTickers++;
      if (refusedSet!.size < maxTickers) refusedSet!.add(ticker);
    }
    return false;
  };

  return {
    add(ticker, ms) {
      const cur = pending.get(ticker);
      if (cur === undefined) {
        if (!admit(ticker)) return false;
        pending.set(ticker, ms);
      } else if (ms > cur) pending.set(ticker, ms);
      return true;
    },
    drain() {
      const out = pending;
      pending = new Map();
      return out;
    },
    take(max) {
      if (pending.size <= max) {
        const out = pending;
        pending = new Map();
        return out;
      }
      const out = new Map<string, number>();
      for (const [ticker, ms] of pending) {
        if (out.size >= max) break;
        out.set(ticker, ms);
      }
      for (const ticker of out.keys()) pending.delete(ticker);
      return out;
    },
    mergeBack(batch) {
      // Every ticker of a batch was admitted when it was added.
      for (const [ticker, ms] of batch) {
        const cur = pending.get(ticker);
        if (cur === undefined || ms > cur) pending.set(ticker, ms);
      }
    },
    get size() {
      return pending.size;
    },
    get known() {
      return known ? known.size : 0;
    },
    get refused() {
      return refused;
    },
    get refusedTickers() {
      return refusedTickers;
    },
  };
}
