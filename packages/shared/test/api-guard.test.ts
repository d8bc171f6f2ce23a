import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import {
  createLogger,
  createOpsServer,
  limitRequestRate,
  requireBearerToken,
} from '../src';

const silent = createLogger({
  service: 'test',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

async function buildApi(token: string | null, perMinute: number) {
  const app = createOpsServer({
    logger: silent,
    registry: new Registry(),
    readiness: () => ({}),
  });
  await app.register(async api => {
    await limitRequestRate(api, perMinute);
    api.addHook('onRequest', requireBearerToken(token));
    api.get('/v1/ping', async () => ({ pong: true }));
  });
  await app.ready();
  return app;
}

describe('API guards', () => {
  it('requires the bearer token, whatever the presented length', async () => {
    const app = await buildApi('s3cret-token-0123456789', 100);
    const get = (authorization?: string) =>
      app.inject({
        url: '/v1/ping',
        headers: authorization ? { authorization } : {},
      });
    expect((await get()).statusCode).toBe(401);
    expect((await get('Bearer nope')).statusCode).toBe(401);
    expect((await get(`Bearer ${'x'.repeat(10_000)}`)).statusCode).toBe(401);
    expect((await get('Basic s3cret-token-0123456789')).statusCode).toBe(401);
    const ok = await get('Bearer s3cret-token-0123456789');
    expect(ok.statusCode).toBe(200);
    expect((await get()).headers['www-authenticate']).toContain('Bearer');
    await app.close();
  });

  it('lets everything through when explicitly unauthenticated', async () => {
    const app = await buildApi(null, 100);
    expect((await app.inject({ url: '/v1/ping' })).statusCode).toBe(200);
    await app.close();
  });

  it('answers 429 with retry-after once a client exceeds its rate, per client address', async () => {
    const app = await buildApi(null, 3);
    const from = (remoteAddress: string) =>
      app.inject({ url: '/v1/ping', remoteAddress });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await from('10.0.0.1')).statusCode);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    const limited = await from('10.0.0.1');
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.json().error).toMatch(/rate limit of 3 requests per minute/);
    expect((await from('10.0.0.2')).statusCode).toBe(200);
    expect(
      (await app.inject({ url: '/healthz', remoteAddress: '10.0.0.1' }))
        .statusCode,
    ).toBe(200);
    await app.close();
  });
});
