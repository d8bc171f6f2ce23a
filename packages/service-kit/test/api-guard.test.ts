import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import {
  createLogger,
  createOpsServer,
  limitRequestRate,
  parseEnv,
  requireBearerToken,
  trustProxySchema,
  type TrustProxy,
} from '../src';
import { z } from 'zod';

const trustProxy = (value: string | undefined) =>
  parseEnv(z.object({ TRUST_PROXY: trustProxySchema() }), {
    TRUST_PROXY: value,
  }).TRUST_PROXY;

const silent = createLogger({
  service: 'test',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

async function buildApi(
  token: string | null,
  perMinute: number,
  trustProxy?: TrustProxy,
) {
  const app = createOpsServer({
    logger: silent,
    registry: new Registry(),
    readiness: () => ({}),
    trustProxy,
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

  it('limits wrong-token requests before authenticating them: a flood gets 429, not 401', async () => {
    const app = await buildApi('s3cret-token-0123456789', 5);
    const codes: number[] = [];
    for (let i = 0; i < 20; i++)
      codes.push(
        (
          await app.inject({
            url: '/v1/ping',
            remoteAddress: '10.0.0.7',
            headers: { authorization: `Bearer wrong-${i}` },
          })
        ).statusCode,
      );
    expect(codes).toEqual([...Array(5).fill(401), ...Array(15).fill(429)]);
    // The flood used the address's budget: even the right token waits now.
    const right = await app.inject({
      url: '/v1/ping',
      remoteAddress: '10.0.0.7',
      headers: { authorization: 'Bearer s3cret-token-0123456789' },
    });
    expect(right.statusCode).toBe(429);
    await app.close();
  });

  it('keys the limit on the client behind a trusted proxy, and ignores X-Forwarded-For from anyone else', async () => {
    const app = await buildApi(null, 2, trustProxy('10.0.0.0/8'));
    const via = (peer: string, client: string) =>
      app.inject({
        url: '/v1/ping',
        remoteAddress: peer,
        headers: { 'x-forwarded-for': client },
      });
    // Two clients behind one ingress (10.0.0.1) have a budget each.
    const a = [];
    for (let i = 0; i < 3; i++)
      a.push((await via('10.0.0.1', '203.0.113.5')).statusCode);
    expect(a).toEqual([200, 200, 429]);
    expect((await via('10.0.0.1', '203.0.113.6')).statusCode).toBe(200);
    // An untrusted peer cannot pick a fresh key per request.
    const spoof = [];
    for (let i = 0; i < 3; i++)
      spoof.push((await via('198.51.100.9', `192.0.2.${i}`)).statusCode);
    expect(spoof).toEqual([200, 200, 429]);
    await app.close();
  });

  it('without TRUST_PROXY, one ingress address is one client', async () => {
    const app = await buildApi(null, 2, trustProxy(undefined));
    const codes = [];
    for (let i = 0; i < 3; i++)
      codes.push(
        (
          await app.inject({
            url: '/v1/ping',
            remoteAddress: '10.0.0.1',
            headers: { 'x-forwarded-for': `203.0.113.${i}` },
          })
        ).statusCode,
      );
    expect(codes).toEqual([200, 200, 429]);
    await app.close();
  });
});

describe('TRUST_PROXY', () => {
  it.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    [
      '10.0.0.0/8, 192.168.1.1,loopback',
      ['10.0.0.0/8', '192.168.1.1', 'loopback'],
    ],
    ['fd00::/8', ['fd00::/8']],
  ])('%j → %j', (raw, want) => {
    expect(trustProxy(raw)).toEqual(want);
  });

  it('a hop count trusts that many proxies', () => {
    const f = trustProxy('1') as (a: string, hop: number) => boolean;
    expect([f('x', 0), f('x', 1)]).toEqual([true, false]);
  });

  it.each(['10.0.0.0/33', 'ingress', '10.0.0.1/8/2', '1.2.3'])(
    'rejects %j naming the variable',
    raw => {
      expect(() => trustProxy(raw)).toThrow(
        /TRUST_PROXY: must be true, false, a hop count/,
      );
    },
  );
});
