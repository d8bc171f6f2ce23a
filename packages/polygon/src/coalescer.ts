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

/**
 * One ticker's entry. With a cap, a slot lives as long as the coalescer
 * (the accepted tickers are remembered anyway), so a trade costs one Map
 * lookup and a field write, never an insert, in the steady state.
 */
interface Slot {
  readonly ticker: string;
  ms: number;
  pending: boolean;
}

/** Creates an empty coalescer. */
export function createCoalescer(opts: CoalescerOptions = {}): Coalescer {
  const maxTickers = opts.maxTickers ?? Number.POSITIVE_INFINITY;
  const capped = Number.isFinite(maxTickers);
  // Capped: every accepted ticker, pending or not, so the cap counts
  // distinct tickers and not tickers per flush window. Uncapped (tools,
  // tests): only the pending ones, so memory never outgrows one flush.
  const slots = new Map<string, Slot>();
  /** The pending slots, oldest first. */
  let queue: Slot[] = [];
  // Distinct refused symbols, remembered up to the same bound so that the
  // count says "how many symbols" without growing with the flood.
  const refusedSet = capped ? new Set<string>() : null;
  let refusedTickers = 0;
  let refused = 0;

  const refuse = (ticker: string): false => {
    refused++;
    if (!refusedSet!.has(ticker)) {
      refusedTickers++;
      if (refusedSet!.size < maxTickers) refusedSet!.add(ticker);
    }
    return false;
  };

  const enqueue = (ticker: string, ms: number): void => {
    const slot = { ticker, ms, pending: true };
    slots.set(ticker, slot);
    queue.push(slot);
  };

  /** Hands `n` pending slots (oldest first) out as a batch. */
  const takeFirst = (n: number): Map<string, number> => {
    const out = new Map<string, number>();
    for (let k = 0; k < n; k++) {
      const slot = queue[k]!;
      out.set(slot.ticker, slot.ms);
      slot.pending = false;
      if (!capped) slots.delete(slot.ticker);
    }
    queue = n === queue.length ? [] : queue.slice(n);
    return out;
  };

  return {
    add(ticker, ms) {
      const slot = slots.get(ticker);
      if (slot === undefined) {
        if (slots.size >= maxTickers) return refuse(ticker);
        enqueue(ticker, ms);
      } else if (!slot.pending) {
        slot.pending = true;
        slot.ms = ms;
        queue.push(slot);
      } else if (ms > slot.ms) slot.ms = ms;
      return true;
    },
    drain: () => takeFirst(queue.length),
    take: max => takeFirst(Math.min(max, queue.length)),
    mergeBack(batch) {
      // Every ticker of a batch was admitted when it was added.
      for (const [ticker, ms] of batch) {
        const slot = slots.get(ticker);
        if (slot === undefined) enqueue(ticker, ms);
        else if (!slot.pending) {
          slot.pending = true;
          slot.ms = ms;
          queue.push(slot);
        } else if (ms > slot.ms) slot.ms = ms;
      }
    },
    get size() {
      return queue.length;
    },
    get known() {
      return capped ? slots.size : 0;
    },
    get refused() {
      return refused;
    },
    get refusedTickers() {
      return refusedTickers;
    },
  };
}
