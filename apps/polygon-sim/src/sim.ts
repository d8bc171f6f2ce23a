import { createPolygonSim, type PolygonSim } from '@tickpulse/polygon-sim';
import type { SimConfig } from './config.js';

/** The part of the config the simulator reads. */
export type SimServiceConfig = Pick<
  SimConfig,
  | 'SIM_API_KEY'
  | 'SIM_RATE'
  | 'SIM_TICKERS'
  | 'SIM_SEED'
  | 'SIM_MAX_EVENTS_PER_FRAME'
  | 'SIM_SESSION'
  | 'SIM_HISTORY_PER_TICKER'
  | 'SIM_REST_PAGE_SIZE'
>;

/** The simulator the variables describe (nothing runs until it is attached to a server). */
export function createSim(config: SimServiceConfig): PolygonSim {
  return createPolygonSim({
    apiKeys: config.SIM_API_KEY,
    rate: config.SIM_RATE,
    tickers: config.SIM_TICKERS,
    seed: config.SIM_SEED,
    maxEventsPerFrame: config.SIM_MAX_EVENTS_PER_FRAME,
    session: config.SIM_SESSION,
    historyPerTicker: config.SIM_HISTORY_PER_TICKER,
    restPageSize: config.SIM_REST_PAGE_SIZE,
  });
}
