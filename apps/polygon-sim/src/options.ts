import type { PolygonSimOptions } from '@tickpulse/polygon-sim';
import type { SimConfig } from './config.js';

/**
 * Everything polygon-sim's root wires, in option groups. The env names stop
 * at this file, so renaming a variable touches `config.ts` and the mapping
 * here only.
 */
export function polygonSimOptions(config: SimConfig) {
  return {
    httpPort: config.HTTP_PORT,
    sim: {
      apiKeys: config.SIM_API_KEY,
      rate: config.SIM_RATE,
      tickers: config.SIM_TICKERS,
      seed: config.SIM_SEED,
      maxEventsPerFrame: config.SIM_MAX_EVENTS_PER_FRAME,
      session: config.SIM_SESSION,
      historyPerTicker: config.SIM_HISTORY_PER_TICKER,
      restPageSize: config.SIM_REST_PAGE_SIZE,
    } satisfies PolygonSimOptions,
    // The 'listening' line shows how many keys, never the keys.
    startup: {
      rate: config.SIM_RATE,
      tickers: config.SIM_TICKERS,
      keys: config.SIM_API_KEY.length || ('any' as const),
    },
  };
}
