import { loadConfig } from './config';
import { polygonSimOptions } from './options';

describe('polygon-sim options', () => {
  it('maps every variable to its option', () => {
    const options = polygonSimOptions(
      loadConfig({
        HTTP_PORT: '9333',
        SIM_API_KEY: 'k1, k2',
        SIM_RATE: '500',
        SIM_TICKERS: '12',
        SIM_SEED: '7',
        SIM_MAX_EVENTS_PER_FRAME: '33',
        SIM_SESSION: 'extended',
        SIM_HISTORY_PER_TICKER: '5',
        SIM_REST_PAGE_SIZE: '11',
      }),
    );
    expect(options).toEqual({
      httpPort: 9333,
      sim: {
        apiKeys: ['k1', 'k2'],
        rate: 500,
        tickers: 12,
        seed: 7,
        maxEventsPerFrame: 33,
        session: 'extended',
        historyPerTicker: 5,
        restPageSize: 11,
      },
      startup: { rate: 500, tickers: 12, keys: 2 },
    });
  });

  it('logs how many keys, never the keys, and "any" for none', () => {
    const withKeys = polygonSimOptions(loadConfig({ SIM_API_KEY: 'secret' }));
    expect(JSON.stringify(withKeys.startup)).not.toContain('secret');
    expect(polygonSimOptions(loadConfig({})).startup.keys).toBe('any');
  });
});
