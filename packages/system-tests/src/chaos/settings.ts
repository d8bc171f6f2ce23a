import type { ChaosMode } from './result.js';

/**
 * Every number that differs between the full and the short run, in one place,
 * so a fault or a check never branches on the mode for sizing.
 */
export interface ChaosSettings {
  mode: ChaosMode;
  full: boolean;
  /** polygon-sim trades per second in rate mode. */
  simRate: number;
  /** Rows in `strategies` at start; edits also touch a few ids beyond it. */
  strategyCount: number;
  /** ingest `LEASE_TTL_MS`: how long a killed leader blocks the standby. */
  leaseTtlMs: number;
  /** universe-sync `RECONCILE_INTERVAL`. */
  reconcileInterval: string;
  /** Trades per second while tick-writer is down in `tick-writer-down-full-rate`. */
  highRate: number;
  /** How long that fault keeps tick-writer down at that rate. */
  highRateMs: number;
  /** Pause between two oracle rounds. */
  roundIntervalMs: number;
  /** Steady load before the first fault. */
  warmupMs: number;
  /**
   * ingest `MAX_TICKERS`: above every ticker a run legitimately names (the
   * simulator's 3 000 plus 7 per oracle round), below the symbol flood.
   */
  ingestMaxTickers: number;
  /** Distinct symbols of the hostile feed's flood, a multiple of the cap. */
  floodSymbols: number;
  /** NOTIFYs the hostile role sends in the NOTIFY flood. */
  notifyFlood: number;
}

/** The settings of one mode. */
export function chaosSettings(mode: ChaosMode): ChaosSettings {
  const full = mode === 'full';
  return {
    mode,
    full,
    simRate: full ? 2000 : 500,
    strategyCount: full ? 40 : 20,
    leaseTtlMs: full ? 6000 : 4000,
    reconcileInterval: full ? '20s' : '15s',
    highRate: full ? 50_000 : 20_000,
    highRateMs: full ? 30_000 : 10_000,
    roundIntervalMs: full ? 300 : 400,
    warmupMs: full ? 3000 : 1000,
    ingestMaxTickers: full ? 50_000 : 20_000,
    floodSymbols: full ? 150_000 : 50_000,
    notifyFlood: full ? 100_000 : 20_000,
  };
}
