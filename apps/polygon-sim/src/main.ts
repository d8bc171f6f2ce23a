import { registerSimControl, registerSimRest } from '@tickpulse/polygon-sim';
import {
  createAppLogger,
  createMetricsRegistry,
  createOpsServer,
  createShutdown,
  listenOps,
  runMain,
} from '@tickpulse/service-kit';
import { loadConfig } from './config.js';
import { createSim } from './sim.js';
import { registerSimMetrics } from './metrics.js';

runMain('polygon-sim', async () => {
  const config = loadConfig(process.env);
  const logger = createAppLogger('polygon-sim', config);
  const registry = createMetricsRegistry();
  const sim = createSim(config);
  registerSimMetrics(registry, sim);
  const app = createOpsServer({
    logger,
    registry,
    readiness: () => ({
      websocket: { ok: true, detail: `${sim.stats().connections} connections` },
    }),
    bodyLimit: 16 * 1024 * 1024,
  });
  registerSimControl(app, sim);
  registerSimRest(app, sim);
  sim.attach(app.server);
  createShutdown({
    logger,
    steps: [
      { name: 'websocket', run: () => sim.close() },
      { name: 'http', run: () => app.close() },
    ],
  }).install();
  const port = await listenOps(app, config.HTTP_PORT);
  logger.info(
    {
      port,
      url: `ws://127.0.0.1:${port}/stocks`,
      rest: `http://127.0.0.1:${port}`,
      rate: config.SIM_RATE,
      tickers: config.SIM_TICKERS,
      keys: config.SIM_API_KEY.length || 'any',
    },
    'polygon-sim listening',
  );
});
