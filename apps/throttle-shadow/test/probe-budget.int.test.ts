import {
  createMetricsRegistry,
  createOpsServer,
  PROBE_BUDGET_MS,
  withDeadline,
} from '@tickpulse/service-kit';
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

describe('/readyz with the planner API on a Redis that cannot take its writes', () => {
  const readyz = async (redis: Redis) => {
    const app = createOpsServer({
      logger: pino({ level: 'silent' }),
      registry: createMetricsRegistry(),
      readiness: createReadiness({
        redis,
        shadow: null,
        plannerApi: true,
        intervalMs: 10_000,
      }),
    });
    try {
      const res = await app.inject({ url: '/readyz' });
      return { status: res.statusCode, planner: res.json().checks.planner_api };
    } finally {
      await app.close();
    }
  };

  it('is ready on a master, and not on a read-only replica', async () => {
    const master = await startPrivateRedis();
    const replica = await startPrivateRedis([
      '--replicaof',
      '127.0.0.1',
      String(new URL(master.url).port),
    ]);
    const onMaster = new Redis(master.url, { protocol: 2 });
    const onReplica = new Redis(replica.url, { protocol: 2 });
    try {
      expect(await readyz(onMaster)).toEqual({
        status: 200,
        planner: { ok: true, detail: 'enabled' },
      });
      const r = await readyz(onReplica);
      expect(r.status).toBe(503);
      expect(r.planner.detail).toMatch(/read-only replica/);
    } finally {
      onMaster.disconnect();
      onReplica.disconnect();
      await replica.stop();
      await master.stop();
    }
  });

  it('is not ready for a Redis user that may not run scripts', async () => {
    const server = await startPrivateRedis();
    const admin = new Redis(server.url, { protocol: 2 });
    await admin.call(
      'ACL',
      'SETUSER',
      'noscripts',
      'on',
      '>noscripts-password',
      '~*',
      '&*',
      '+@all',
      '-@scripting',
    );
    const user = new Redis(server.url, {
      protocol: 2,
      username: 'noscripts',
      password: 'noscripts-password',
    });
    try {
      const r = await readyz(user);
      expect(r.status).toBe(503);
      expect(r.planner.detail).toMatch(/may not run scripts/);
    } finally {
      user.disconnect();
      admin.disconnect();
      await server.stop();
    }
  });
});
