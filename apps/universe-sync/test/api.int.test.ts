import { JOB_NAMES, strategyDedupId } from '@tickpulse/contracts';
import { closeRedis, createRedis, waitForRedisReady } from '@tickpulse/redis';
import {
  createOpsServer,
  toOpenApiPath,
  withDeadline,
} from '@tickpulse/service-kit';
import { startPrivateRedis, waitFor } from '@tickpulse/testkit';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { ROUTES, registerApi } from '../src/http/api';
import {
  createNamespace,
  createTestDb,
  startReplica,
  testLogger,
  type TestDb,
  type TestNamespace,
  type TestReplica,
} from './helpers';

const TOKEN = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('HTTP API', () => {
  let db: TestDb;
  let ns: TestNamespace;
  let replica: TestReplica;
  let app: FastifyInstance;
  const registered: string[] = [];

  beforeAll(async () => {
    db = await createTestDb();
    ns = createNamespace();
    // Not started: jobs stay in the queue where the test can inspect them.
    replica = await startReplica({
      databaseUrl: db.url,
      keys: ns.keys,
      bullmqPrefix: ns.bullmqPrefix,
      queueName: ns.queueName,
      start: false,
    });
    await replica.service.queue.waitUntilReady();
    app = createOpsServer({
      logger: testLogger(),
      registry: replica.registry,
      readiness: () => ({ ok: { ok: true } }),
    });
    app.addHook('onRoute', r => {
      const methods = Array.isArray(r.method) ? r.method : [r.method];
      for (const m of methods)
        if (r.url.startsWith('/v1')) registered.push(`${m} ${r.url}`);
    });
    await registerApi(app, {
      queue: replica.service.queue,
      reader: replica.service.reader,
      store: replica.service.store,
      metrics: replica.service.metrics,
      logger: testLogger(),
      token: TOKEN,
      bodyLimit: 1024,
      rateLimitPerMinute: 10_000,
      // A 1 M-ticker database read must not meet the deadline on a loaded
      // machine; the 503 test below has its own app with a short one.
      timeoutMs: 60_000,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await replica.stop();
    await ns.cleanup();
    await db.drop();
  });

  it.each([
    ['POST', '/v1/strategies/1/sync'],
    ['POST', '/v1/reconcile'],
    ['GET', '/v1/strategies/1'],
  ] as const)(
    'answers 401 to %s %s without a token or with a wrong one',
    async (method, url) => {
      const none = await app.inject({ method, url });
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      const wrong = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${TOKEN}x` },
      });
      expect(wrong.statusCode).toBe(401);
      const basic = await app.inject({
        method,
        url,
        headers: { authorization: `Basic ${TOKEN}` },
      });
      expect(basic.statusCode).toBe(401);
    },
  );

  it.each([
    ['abc', /params\/id must match pattern/],
    ['0', /params\/id must match pattern/],
    ['2147483648', /params\/id must be <= 2147483647/],
    ['9999999999', /params\/id must be <= 2147483647/],
    ['1.5', /params\/id must match pattern/],
    ['Infinity', /params\/id must match pattern/],
    ['1e3', /params\/id must match pattern/],
    ['0x10', /params\/id must match pattern/],
    ['+2', /params\/id must match pattern/],
    ['01', /params\/id must match pattern/],
    ['1.0', /params\/id must match pattern/],
    ['%202', /params\/id must match pattern/],
    ['12345678901', /params\/id must NOT have more than 10 characters/],
  ])('answers 400 with a clear message for id %s', async (id, message) => {
    for (const method of ['POST', 'GET'] as const) {
      const res = await app.inject({
        method,
        url: `/v1/strategies/${id}${method === 'POST' ? '/sync' : ''}`,
        headers: auth,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatch(message);
    }
  });

  it.each([
    [{ reason: 5 }, /body\/reason must be string/],
    [{ reason: '' }, /body\/reason must NOT have fewer than 1 characters/],
    [{ why: 'x' }, /body must NOT have additional properties/],
    [[1], /body must be object/],
  ])('answers 400 for the body %j', async (payload, message) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/strategies/7/sync',
      headers: auth,
      payload,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(message);
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/reconcile',
      headers: auth,
      payload: { reason: 'x'.repeat(5000) },
    });
    expect(res.statusCode).toBe(413);
  });

  it('enqueues a strategy sync with 202 and its job id; duplicates collapse', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/strategies/42/sync',
      headers: auth,
      payload: { reason: 'strategy edited' },
    });
    expect(res.statusCode).toBe(202);
    const { jobId } = res.json();
    const job = await replica.service.queue.getJob(jobId);
    expect(job?.name).toBe(JOB_NAMES.syncStrategy);
    expect(job?.data).toEqual({
      kind: 'strategy',
      strategyId: 42,
      reason: 'strategy edited',
    });
    expect(
      await replica.service.queue.getDeduplicationJobId(strategyDedupId(42)),
    ).toBe(jobId);

    const again = await app.inject({
      method: 'POST',
      url: '/v1/strategies/42/sync',
      headers: auth,
    });
    expect(again.statusCode).toBe(202);
    expect(again.json().jobId).toBe(jobId);
  });

  it('enqueues a reconcile with 202', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/reconcile',
      headers: auth,
    });
    expect(res.statusCode).toBe(202);
    const job = await replica.service.queue.getJob(res.json().jobId);
    expect(job?.data).toEqual({ kind: 'reconcile', reason: 'api' });
  });

  it('shows what Redis holds against what the database says', async () => {
    const id = await db.insert(true, ['AAPL', 'msft', 'bad one']);
    await ns.redis.sadd(ns.keys.stratUniv(id), 'AAPL', 'ZZZ');
    const res = await app.inject({
      method: 'GET',
      url: `/v1/strategies/${id}`,
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      strategyId: id,
      database: {
        exists: true,
        alertActive: true,
        state: 'active',
        expected: ['AAPL', 'MSFT'],
      },
      redis: { exists: true, members: ['AAPL', 'ZZZ'] },
      inSync: false,
      missing: ['MSFT'],
      extra: ['ZZZ'],
      truncated: false,
      counts: { universe: 3, expected: 2, members: 2, missing: 1, extra: 1 },
    });
    expect(res.json().database.invalid).toHaveLength(1);

    const gone = await app.inject({
      method: 'GET',
      url: '/v1/strategies/99999',
      headers: auth,
    });
    expect(gone.json()).toMatchObject({
      database: { exists: false, state: 'deleted' },
      inSync: true,
    });
  });

  it('answers a 1 M-ticker universe with exact counts and bounded lists', async () => {
    const n = 1_000_000;
    const ticker = (i: number) => `U${i.toString(36).toUpperCase()}`;
    const universe = Array.from({ length: n }, (_, i) => ticker(i));
    const id = await db.insert(true, universe);
    // Redis lacks the last 7 and holds 5 that are not expected.
    const key = ns.keys.stratUniv(id);
    for (let i = 0; i < n - 7; i += 20_000)
      await ns.redis.sadd(
        key,
        ...universe.slice(i, Math.min(i + 20_000, n - 7)),
      );
    await ns.redis.sadd(key, 'XA', 'XB', 'XC', 'XD', 'XE');
    const res = await app.inject({
      method: 'GET',
      url: `/v1/strategies/${id}`,
      headers: auth,
    });
    // 29.7 MB before, every ticker listed three times.
    expect(res.statusCode).toBe(200);
    expect(res.payload.length).toBeLessThan(1_000_000);
    const body = res.json();
    expect(body).toMatchObject({
      strategyId: id,
      inSync: false,
      truncated: true,
      counts: {
        universe: n,
        expected: n,
        members: n - 7 + 5,
        missing: 7,
        extra: 5,
      },
      missing: universe.slice(n - 7).sort(),
      extra: ['XA', 'XB', 'XC', 'XD', 'XE'],
      redis: { exists: true },
      database: { state: 'active' },
    });
    for (const list of [
      body.database.universe,
      body.database.expected,
      body.redis.members,
    ])
      expect(list).toHaveLength(10_000);
    expect(body.redis.members).toEqual([...body.redis.members].sort());
    await ns.redis.unlink(key);
  }, 180_000);

  it('rate-limits wrong-token requests before authenticating them (429, not 401)', async () => {
    const limited = createOpsServer({
      logger: testLogger(),
      registry: replica.registry,
      readiness: () => ({}),
    });
    await registerApi(limited, {
      queue: replica.service.queue,
      reader: replica.service.reader,
      store: replica.service.store,
      metrics: replica.service.metrics,
      logger: testLogger(),
      token: TOKEN,
      bodyLimit: 1024,
      rateLimitPerMinute: 4,
    });
    const queued = await replica.service.queue.count();
    try {
      const codes: number[] = [];
      for (let i = 0; i < 12; i++)
        codes.push(
          (
            await limited.inject({
              method: 'POST',
              url: '/v1/strategies/1/sync',
              remoteAddress: '10.2.2.2',
              headers: { authorization: `Bearer wrong-${i}` },
            })
          ).statusCode,
        );
      expect(codes).toEqual([...Array(4).fill(401), ...Array(8).fill(429)]);
      expect(await replica.service.queue.count()).toBe(queued);
    } finally {
      await limited.close();
    }
  });

  it('keeps /healthz, /readyz, /metrics and the OpenAPI document open', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/v1/openapi.json']) {
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    }
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      /tickpulse_universe_api_requests_total\{method="POST",route="\/v1\/strategies\/:id\/sync",status="202"\} \d+/,
    );
  });

  it('documents every /v1 route it serves in the OpenAPI document', async () => {
    const doc = (
      await app.inject({ method: 'GET', url: '/v1/openapi.json' })
    ).json();
    const documented = Object.entries(
      doc.paths as Record<string, Record<string, unknown>>,
    ).flatMap(([path, ops]) =>
      Object.keys(ops).map(m => `${m.toUpperCase()} ${path}`),
    );
    const served = registered
      .filter(r => !r.startsWith('HEAD '))
      .map(r => {
        const [m, url] = r.split(' ');
        return `${m} ${toOpenApiPath(url!)}`;
      });
    expect(documented.sort()).toEqual([...new Set(served)].sort());
    expect(documented).toHaveLength(Object.keys(ROUTES).length);
    expect(doc.paths['/v1/strategies/{id}/sync'].post.security).toEqual([
      { bearerAuth: [] },
    ]);
  });
});

describe('HTTP API without Redis', () => {
  it('answers 503 when the queue cannot be reached', async () => {
    const redis = await startPrivateRedis();
    const logger = testLogger();
    const producer = createRedis(redis.url, {
      role: 'producer',
      logger,
      name: 'api-503',
    });
    await waitForRedisReady(producer);
    const queue = new Queue('universe-sync', {
      connection: producer,
      prefix: 'bull',
    });
    queue.on('error', () => undefined);
    await queue.waitUntilReady();
    const db = await createTestDb();
    const ns = createNamespace();
    const replica = await startReplica({
      databaseUrl: db.url,
      keys: ns.keys,
      bullmqPrefix: ns.bullmqPrefix,
      queueName: ns.queueName,
      start: false,
    });
    const app = createOpsServer({
      logger,
      registry: replica.registry,
      readiness: () => ({}),
    });
    await registerApi(app, {
      queue,
      reader: replica.service.reader,
      store: replica.service.store,
      metrics: replica.service.metrics,
      logger,
      token: TOKEN,
      bodyLimit: 1024,
      rateLimitPerMinute: 10_000,
      timeoutMs: 2000,
    });
    try {
      const ok = await app.inject({
        method: 'POST',
        url: '/v1/strategies/5/sync',
        headers: auth,
      });
      expect(ok.statusCode).toBe(202);
      await redis.kill();
      await waitFor(() => producer.status !== 'ready', {
        what: 'producer disconnected',
      });
      const res = await app.inject({
        method: 'POST',
        url: '/v1/strategies/5/sync',
        headers: auth,
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toBe('queue unavailable, try again later');
    } finally {
      await app.close();
      // Bring Redis back so the queue can close cleanly (its close waits for Redis).
      await redis.start();
      await withDeadline(queue.close(), 10_000, 'queue close').catch(
        () => undefined,
      );
      await closeRedis(producer, 200);
      await redis.stop();
      await replica.stop();
      await ns.cleanup();
      await db.drop();
    }
  });
});
