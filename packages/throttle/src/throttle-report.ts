/**
 * The throttle report: what throttle-shadow serves at `GET /throttle-report`
 * and `tickpulse throttle-report --json` prints, one JSON object. Its shape
 * is a contract with whoever reads it (docs/throttle-decision.md explains
 * every number).
 */

/**
 * The path the Go alert loop takes for a strategy with per-ticker
 * throttling on (`processStrategyAlertsPerTicker` in `loop.go`):
 *
 * - `invalid-timeframe`: `min_timeframe` empty or not parseable: skipped
 *   every cycle, before anything else is looked at;
 * - `global`: `alert_universe` (what the user typed) is empty, the
 *   frontend's default: the legacy strategy-level check, then a run with no
 *   symbol filter;
 * - `disabled`: a typed `alert_universe` but no `STRAT:<id>:UNIV` members
 *   (`alert_universe_full` NULL or empty): skipped every cycle, so turning
 *   per-ticker on silently turns these alerts off;
 * - `per-ticker`: the tickers of the set updated in the bucket and not yet
 *   in `STRAT:<id>:LAST` for it.
 */
export type GoPath = 'global' | 'per-ticker' | 'disabled' | 'invalid-timeframe';

/** Strategy runs and ticker evaluations one model would have done. */
export interface RunTally {
  runs: number;
  evaluations: number;
}

/** A per-ticker model's tally: also the trades it evaluated too late or never. */
export interface PerTickerTally extends RunTally {
  /**
   * (ticker, bucket) pairs where the ticker had an eligible trade after its
   * evaluation in that bucket (and had not matched then) and was not
   * evaluated again: an alert the model can miss that a full re-run would
   * catch.
   */
  lateUpdates: number;
}

/** Go per-ticker's tally: also the runs it makes with no symbol filter (global path). */
export interface GoPerTickerTally extends PerTickerTally {
  unfilteredRuns: number;
}

/** One strategy's figures under the three models. */
export interface StrategyTally {
  id: number;
  goPath: GoPath;
  legacy: RunTally;
  goPerTicker: GoPerTickerTally;
  lossless: PerTickerTally;
}

/** Every figure of a window, in the shape `throttle-report --json` prints. */
export interface ThrottleReport {
  window: { from: number; to: number; cycles: number };
  totals: {
    legacy: RunTally;
    goPerTicker: GoPerTickerTally;
    lossless: PerTickerTally;
  };
  strategies: StrategyTally[];
}
