import { createOpsServer, createLogger } from '@tickpulse/service-kit';
import {
  createPolygonSim,
  registerSimControl,
  registerSimRest,
} from '@tickpulse/polygon-sim';
import { Registry } from 'prom-client';
import { loadConfig } from './config';
import { registerSimMetrics } from './metrics';

describe('polygon-sim app', () => {
  it('reads its variables with defaults', () => {
    expect(loadConfig({})).toMatchObject({
      HTTP_PORT: 9100,
      SIM_RATE: 2000,
      SIM_TICKERS: 10_000,
      SIM_API_KEY: [],
      SIM_HISTORY_PER_TICKER: 64,
      SIM_REST_PAGE_SIZE: 50_000,
    });
    expect(loadConfig({ SIM_API_KEY: 'a, b', SIM_RATE: '0' })).toMatchObject({
      SIM_API_KEY: ['a', 'b'],
      SIM_RATE: 0,
    });
    expect(() => loadConfig({ SIM_RATE: '-1' })).toThrow(/SIM_RATE/);
  });

  it('serves the control API and the metrics', async () => {
    const sim = createPolygonSim({ tickers: 10 });
    const registry = new Registry();
    registerSimMetrics(registry, sim);
    const app = createOpsServer({
      logger: createLogger({ service: 'sim-test', level: 'silent' }),
      registry,
      readiness: () => ({}),
    });
    registerSimControl(app, sim);
    registerSimRest(app, sim);
    try {
      const sym = sim.tickers[0]!.sym;
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/control/prints',
            payload: { prints: [{ sym, sipNs: '1800000000000999999' }] },
          })
        ).json(),
      ).toEqual({ recorded: 1 });
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/control/prints',
            payload: { prints: [{ sym, sipNs: 1.8e18 }] },
          })
        ).statusCode,
      ).toBe(400);
      const snap = await app.inject({
        url: '/v2/snapshot/locale/us/markets/stocks/tickers?apiKey=any',
      });
      expect(snap.statusCode).toBe(200);
      expect(snap.body).toContain('"t":1800000000000999999');
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/control/rest-fault',
            payload: { kind: 'rate_limit', endpoint: 'trades' },
          })
        ).statusCode,
      ).toBe(200);
      const trades = await app.inject({
        url: `/v3/trades/${sym}`,
        headers: { authorization: 'Bearer any' },
      });
      expect(trades.statusCode).toBe(429);
      expect(
        (await app.inject({ url: `/v3/trades/${sym}?apiKey=any` })).body,
      ).toContain('"sip_timestamp":1800000000000999999');
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/control/rest-fault',
            payload: { kind: 'nope' },
          })
        ).statusCode,
      ).toBe(400);
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/control/rate',
            payload: { rate: 500 },
          })
        ).json(),
      ).toMatchObject({ rate: 500 });
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/control/rate',
            payload: { rate: 'x' },
          })
        ).statusCode,
      ).toBe(400);
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/control/malformed',
            payload: { kind: 'nope' },
          })
        ).statusCode,
      ).toBe(400);
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/control/frames',
            payload: { frames: ['[]'] },
          })
        ).json(),
      ).toEqual({ sentTo: 0 });
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/control/stall',
            payload: { on: true },
          })
        ).json(),
      ).toMatchObject({ stalled: true });
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/control/ignore-auth',
            payload: { on: true },
          })
        ).statusCode,
      ).toBe(200);
      expect((await app.inject({ url: '/metrics' })).body).toContain(
        'tickpulse_sim_rate 500',
      );
    } finally {
      await app.close();
      await sim.close();
    }
  });
});
