import {
  createOpsServer,
  PROBE_BUDGET_MS,
  withDeadline,
} from '@tickpulse/service-kit';
import { startPrivateRedis, type PrivateRedis } from '@tickpulse/testkit';
import { captureLogger, startWriter, type WriterHarness } from './helpers';

// Generous, and still finite: without bounded reads a stopped Redis holds
// /metrics until the kernel gives up on the connection.
const DEADLINE_MS = 3 * PROBE_BUDGET_MS;

describe('/readyz and /metrics while Redis does not answer (SIGSTOP)', () => {
  let server: PrivateRedis;
  let harness: WriterHarness;

  beforeAll(async () => {
    server = await startPrivateRedis();
    harness = await startWriter({ url: server.url });
  });
  afterAll(async () => {
    server.resume();
    await harness.close();
    await server.stop();
  });

  it('answers both within the probe budget: not ready, and the queue depth read fails and is counted', async () => {
    const app = createOpsServer({
      logger: captureLogger().logger,
      registry: harness.registry,
      readiness: () => harness.writer.readiness(),
    });
    try {
      expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
      server.pause();
      const metrics = await withDeadline(
        app.inject({ url: '/metrics' }),
        DEADLINE_MS,
        '/metrics',
      );
      expect(metrics.statusCode).toBe(200);
      // One failed read per queue (ticks, tick-maintenance), counted during that scrape.
      const failures = await harness.registry
        .getSingleMetric('tickpulse_tick_writer_failures_total')!
        .get();
      expect(
        failures.values.find(v => v.labels.reason === 'queue_metrics')?.value,
      ).toBe(2);
      const ready = await withDeadline(
        app.inject({ url: '/readyz' }),
        DEADLINE_MS,
        '/readyz',
      );
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.redis).toEqual({
        ok: false,
        detail: 'unreachable',
      });
    } finally {
      server.resume();
      await app.close();
    }
  });
});
