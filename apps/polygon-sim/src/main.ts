import {
  createPolygonSim,
  registerSimControl,
  registerSimRest,
} from '@tickpulse/polygon-sim';
import {
  createAppLogger,
  createMetricsRegistry,
  createOpsServer,
  createShutdown,
  listenOps,
  runMain,
} from '@tickpulse/service-kit';
import { loadConfig } from './config.js';
import { registerSimMetrics } from './metrics.js';
import { polygonSimOptions } from './options.js';

runMain('polygon-sim', async () => {
  const config = loadConfig(process.env);
  const options = polygonSimOptions(config);
  const logger = createAppLogger('polygon-sim', config);
  const registry = createMetricsRegistry();
  const sim = createPolygonSim(options.sim);
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
  const port = await listenOps(app, options.httpPort);
  logger.info(
    {
      port,
      url: `ws://127.0.0.1:${port}/stocks`,
      rest: `http://127.0.0.1:${port}`,
      ...options.startup,
    },
    'polygon-sim listening',
  );
});
