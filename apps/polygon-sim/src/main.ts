import {
  createPolygonSim,
  registerSimControl,
  registerSimRest,
} from '@tickpulse/polygon-sim';
import {
  createLogger,
  createMetricsRegistry,
  createOpsServer,
  createShutdown,
  listenOps,
  runMain,
} from '@tickpulse/shared';
import { loadConfig } from './config.js';
import { registerSimMetrics } from './metrics.js';

runMain('polygon-sim', async () => {
  const config = loadConfig(process.env);
  const logger = createLogger({
    service: 'polygon-sim',
    level: config.LOG_LEVEL,
  });
  const registry = createMetricsRegistry();
  const sim = createPolygonSim({
    apiKeys: config.SIM_API_KEY,
    rate: config.SIM_RATE,
    tickers: config.SIM_TICKERS,
    seed: config.SIM_SEED,
    maxEventsPerFrame: config.SIM_MAX_EVENTS_PER_FRAME,
    session: config.SIM_SESSION,
    historyPerTicker: config.SIM_HISTORY_PER_TICKER,
    restPageSize: config.SIM_REST_PAGE_SIZE,
  });
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
