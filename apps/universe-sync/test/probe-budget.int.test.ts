import {
  createOpsServer,
  PROBE_BUDGET_MS,
  withDeadline,
} from '@tickpulse/service-kit';
import { startPrivateRedis, type PrivateRedis } from '@tickpulse/testkit';
import {
  createNamespace,
  createTestDb,
  startReplica,
  testLogger,
  type TestDb,
  type TestNamespace,
  type TestReplica,
} from './helpers';

// Generous, and still finite: without bounded checks a stopped Redis holds
// /readyz and /metrics until the kernel gives up on the connection.
const DEADLINE_MS = 3 * PROBE_BUDGET_MS;

describe('/readyz and /metrics while Redis does not answer (SIGSTOP)', () => {
  let server: PrivateRedis;
  let db: TestDb;
  let replica: TestReplica;
  let ns: TestNamespace;

  beforeAll(async () => {
    server = await startPrivateRedis();
    db = await createTestDb();
    ns = createNamespace();
    replica = await startReplica({
      databaseUrl: db.url,
      keys: ns.keys,
      bullmqPrefix: ns.bullmqPrefix,
      queueName: ns.queueName,
      redisUrl: server.url,
    });
  });
  afterAll(async () => {
    server.resume();
    await replica.stop();
    await server.stop();
    await db.drop();
    await ns.cleanup();
  });

  it('answers both within the probe budget, not ready, naming Redis without its error text', async () => {
    const app = createOpsServer({
      logger: testLogger(),
      registry: replica.registry,
      readiness: () => replica.service.readiness(),
    });
    try {
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
      server.pause();
      const ready = await withDeadline(
        app.inject({ url: '/readyz' }),
        DEADLINE_MS,
        '/readyz',
      );
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks).toMatchObject({
        redis: { ok: false, detail: 'unreachable' },
        postgres: { ok: true },
      });
      expect(ready.body).not.toMatch(/did not finish|ECONN|127\.0\.0\.1/);
      const metrics = await withDeadline(
        app.inject({ url: '/metrics' }),
        DEADLINE_MS,
        '/metrics',
      );
      expect(metrics.statusCode).toBe(200);
      expect(metrics.body).toContain('tickpulse_universe_queue_jobs');
    } finally {
      server.resume();
      await app.close();
    }
  });
});
