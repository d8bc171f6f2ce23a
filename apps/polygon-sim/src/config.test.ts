import { createOpsServer, createLogger } from '@tickpulse/shared';
import { createPolygonSim, registerSimControl } from '@tickpulse/polygon-sim';
import { Registry } from 'prom-client';
import { loadSimConfig } from './config';
import { registerSimMetrics } from './metrics';

describe('polygon-sim app', () => {
  it('reads its variables with defaults', () => {
    expect(loadSimConfig({})).toMatchObject({
      HTTP_PORT: 9100,
      SIM_RATE: 2000,
      SIM_TICKERS: 10_000,
      SIM_API_KEY: [],
    });
    expect(loadSimConfig({ SIM_API_KEY: 'a, b', SIM_RATE: '0' })).toMatchObject(
      { SIM_API_KEY: ['a', 'b'], SIM_RATE: 0 },
    );
    expect(() => loadSimConfig({ SIM_RATE: '-1' })).toThrow(/SIM_RATE/);
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
    try {
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
      expect((await app.inject({ url: '/metrics' })).body).toContain(
        'tickpulse_sim_rate 500',
      );
    } finally {
      await app.close();
      await sim.close();
    }
  });
});
