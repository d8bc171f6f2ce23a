import {
  createMetricsRegistry,
  createOpsServer,
  PROBE_BUDGET_MS,
  withDeadline,
} from '@tickpulse/shared';
import { startPrivateRedis } from '@tickpulse/testkit';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createReadiness } from '../src/readiness';

// Generous, and still finite: an unbounded PING on a stopped Redis never returns.
const DEADLINE_MS = 3 * PROBE_BUDGET_MS;

describe('/readyz while Redis does not answer (SIGSTOP)', () => {
  it('answers within the probe budget, not ready, without the error text', async () => {
    const server = await startPrivateRedis();
    // The app's command connection: retries while Redis is away.
    const redis = new Redis(server.url, { protocol: 2 });
    redis.on('error', () => undefined);
    const app = createOpsServer({
      logger: pino({ level: 'silent' }),
      registry: createMetricsRegistry(),
      readiness: createReadiness({
        redis,
        shadow: null,
        plannerApi: false,
        intervalMs: 10_000,
      }),
    });
    try {
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
      server.pause();
      const res = await withDeadline(
        app.inject({ url: '/readyz' }),
        DEADLINE_MS,
        '/readyz',
      );
      expect(res.statusCode).toBe(503);
      expect(res.json().checks.redis).toEqual({
        ok: false,
        detail: 'unreachable',
      });
      const metrics = await withDeadline(
        app.inject({ url: '/metrics' }),
        DEADLINE_MS,
        '/metrics',
      );
      expect(metrics.statusCode).toBe(200);
    } finally {
      server.resume();
      await app.close();
      redis.disconnect();
      await server.stop();
    }
  });
});
