import { Writable } from 'node:stream';
import { Counter, Gauge, Registry } from 'prom-client';
import { createLogger, createOpsServer, startCounterSummary } from '../src';

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { logger: createLogger({ service: 'test', destination }), lines };
}

describe('ops server', () => {
  it('answers /healthz, /readyz and /metrics', async () => {
    const registry = new Registry();
    new Counter({
      name: 'tickpulse_demo_total',
      help: 'demo',
      registers: [registry],
    }).inc(3);
    let ready = false;
    const app = createOpsServer({
      logger: captureLogger().logger,
      registry,
      readiness: () => ({
        redis: { ok: true },
        feed: { ok: ready, detail: 'waiting' },
      }),
    });
    try {
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
      const notReady = await app.inject({ url: '/readyz' });
      expect(notReady.statusCode).toBe(503);
      expect(notReady.json().checks.feed).toEqual({
        ok: false,
        detail: 'waiting',
      });
      ready = true;
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
      const metrics = await app.inject({ url: '/metrics' });
      expect(metrics.headers['content-type']).toContain('text/plain');
      expect(metrics.body).toContain('tickpulse_demo_total 3');
    } finally {
      await app.close();
    }
  });

  it('reports a readiness probe that throws as not ready, without its message', async () => {
    const { logger, lines } = captureLogger();
    const app = createOpsServer({
      logger,
      registry: new Registry(),
      readiness: () => {
        throw new Error('redis gone at 10.1.2.3');
      },
    });
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.readiness).toEqual({
      ok: false,
      detail: 'readiness probe failed',
    });
    expect(res.body).not.toContain('10.1.2.3');
    expect(lines.map(l => l.error)).toContain('redis gone at 10.1.2.3');
    await app.close();
  });

  it("never sends a check's error text; logs it once per change", async () => {
    const { logger, lines } = captureLogger();
    let error = 'connect ECONNREFUSED 10.9.9.9:5432 user=tickpulse';
    let ok = false;
    const app = createOpsServer({
      logger,
      registry: new Registry(),
      readiness: () => ({
        postgres: ok ? { ok } : { ok, detail: 'unreachable', error },
      }),
    });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await app.inject({ url: '/readyz' });
        expect(res.statusCode).toBe(503);
        expect(res.json().checks.postgres).toEqual({
          ok: false,
          detail: 'unreachable',
        });
        expect(res.body).not.toContain('10.9.9.9');
      }
      error = 'password authentication failed for user "tickpulse"';
      await app.inject({ url: '/readyz' });
      ok = true;
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
      ok = false;
      await app.inject({ url: '/readyz' });
      const logged = lines
        .filter(l => l.msg === 'readiness check failing')
        .map(l => [l.check, l.error]);
      // Once at the start, once on the change, once after recovering and failing again.
      expect(logged).toEqual([
        ['postgres', 'connect ECONNREFUSED 10.9.9.9:5432 user=tickpulse'],
        ['postgres', 'password authentication failed for user "tickpulse"'],
        ['postgres', 'password authentication failed for user "tickpulse"'],
      ]);
    } finally {
      await app.close();
    }
  });
});

describe('ops server time budget', () => {
  const never = () => new Promise<never>(() => undefined);

  it('answers /readyz not ready when the checks do not finish within the budget', async () => {
    const app = createOpsServer({
      logger: captureLogger().logger,
      registry: new Registry(),
      readiness: never,
      probeBudgetMs: 100,
    });
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.readiness).toEqual({
      ok: false,
      detail: 'readiness probe failed',
    });
    await app.close();
  });

  it('answers /metrics 503 when a collector does not finish within the budget', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'tickpulse_stuck',
      help: 'a collector waiting on a stopped dependency',
      registers: [registry],
      collect: never,
    });
    const { logger, lines } = captureLogger();
    const app = createOpsServer({
      logger,
      registry,
      readiness: () => ({}),
      probeBudgetMs: 100,
    });
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(503);
    expect(lines.map(l => l.msg)).toContain('metrics collection failed');
    await app.close();
  });
});

describe('counter summary', () => {
  it('logs totals, deltas and per-minute rates of the named counters', async () => {
    const registry = new Registry();
    const c = new Counter({
      name: 'tickpulse_things_total',
      help: 'things',
      registers: [registry],
    });
    const { logger, lines } = captureLogger();
    const stop = startCounterSummary({
      logger,
      registry,
      counters: ['tickpulse_things_total'],
      intervalMs: 40,
      extra: () => ({ freshnessP99Ms: 12 }),
    });
    c.inc(6);
    const waitForLines = async (n: number) => {
      while (lines.length < n) await new Promise(r => setTimeout(r, 10));
    };
    await waitForLines(1);
    c.inc(4);
    await waitForLines(2);
    stop();
    expect(lines[0]).toMatchObject({
      msg: 'counter summary',
      freshnessP99Ms: 12,
    });
    expect(
      (lines[0]!.counters as Record<string, { total: number }>).things_total!
        .total,
    ).toBe(6);
    const second = (
      lines[1]!.counters as Record<string, { total: number; delta: number }>
    ).things_total!;
    expect(second.total).toBe(10);
    expect(second.delta).toBe(4);
  });
});

describe('logger', () => {
  it('redacts secrets wherever they appear', () => {
    const { logger, lines } = captureLogger();
    logger.info(
      {
        config: { POLYGON_API_KEY: 'pk_live', API_TOKEN: 'tok' },
        token: 't',
        apiKey: 'k',
      },
      'x',
    );
    const text = JSON.stringify(lines[0]);
    expect(text).not.toMatch(/pk_live|"tok"|"t"|"k"/);
    expect(text).toContain('[redacted]');
  });
});
