import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { deletePrefix, testRedis, uniquePrefix } from '@tickpulse/testkit';
import { createKeys, type RedisKeys } from '@tickpulse/contracts';
import { createLogger, createOpsServer } from '@tickpulse/service-kit';
import { createThrottlePlanner } from '@tickpulse/throttle';
import { registerPlannerApi } from '../src/http/planner-api';

const TOKEN = 'test-token-0123456789abcdef';
const NOW = Date.parse('2025-07-15T14:03:00Z');
const HOUR = Date.parse('2025-07-15T14:00:00Z');
const auth = { authorization: `Bearer ${TOKEN}` };
const logger = createLogger({ service: 'test', level: 'silent' });

describe('planner HTTP API (real Redis)', () => {
  let redis: Redis;
  let prefix: string;
  let keys: RedisKeys;
  let app: FastifyInstance;
  let registry: Registry;

  const build = async (
    apiToken: string | null,
    bodyLimit = 64 * 1024,
    rateLimitPerMinute = 100_000,
  ) => {
    registry = new Registry();
    const a = createOpsServer({
      logger,
      registry,
      readiness: () => ({}),
      bodyLimit,
    });
    registerPlannerApi(a, {
      planner: createThrottlePlanner(redis, keys),
      registry,
      apiToken,
      defaultClaimTtlMs: 60_000,
      rateLimitPerMinute,
      now: () => NOW,
    });
    await a.ready();
    return a;
  };

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(async () => {
    prefix = uniquePrefix('api');
    keys = createKeys(prefix);
    await redis.zadd(
      keys.tickUpd(),
      HOUR + 1,
      'AAPL',
      HOUR + 2,
      'MSFT',
      HOUR - 1,
      'OLD',
    );
    await redis.sadd(keys.stratUniv(7), 'AAPL', 'MSFT', 'OLD', 'IBM');
    app = await build(TOKEN);
  });
  afterEach(async () => {
    await app.close();
    await deletePrefix(redis, prefix);
  });
  afterAll(() => redis.quit());

  const post = (
    url: string,
    payload: unknown,
    headers: Record<string, string> = auth,
  ) => app.inject({ method: 'POST', url, payload: payload as object, headers });

  it.each([
    ['no header', {}],
    ['wrong token', { authorization: 'Bearer nope' }],
    ['token prefix', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['basic scheme', { authorization: `Basic ${TOKEN}` }],
  ])('401 with %s', async (_what, headers) => {
    const res = await post(
      '/v1/plan',
      { strategyId: 7, timeframe: '1h', mode: 'preview' },
      headers,
    );
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.json().error).toMatch(/bearer token/);
  });

  it('rate-limits wrong-token requests before authenticating them (429, not 401)', async () => {
    await app.close();
    app = await build(TOKEN, 64 * 1024, 4);
    const codes: number[] = [];
    for (let i = 0; i < 12; i++)
      codes.push(
        (
          await app.inject({
            method: 'POST',
            url: '/v1/plan',
            remoteAddress: '10.1.1.1',
            headers: { authorization: `Bearer wrong-${i}` },
            payload: { strategyId: 7, timeframe: '1h', mode: 'preview' },
          })
        ).statusCode,
      );
    expect(codes).toEqual([...Array(4).fill(401), ...Array(8).fill(429)]);
    const metrics = await registry.metrics();
    expect(metrics).toContain(
      'tickpulse_throttle_shadow_api_requests_total{route="plan",status="429"} 8',
    );
  });

  it('401 comes before body validation', async () => {
    const res = await post('/v1/record', { nonsense: true }, {});
    expect(res.statusCode).toBe(401);
  });

  it('200 plan by timeframe and `at`, preview writes nothing', async () => {
    const res = await post('/v1/plan', {
      strategyId: 7,
      timeframe: '1h',
      at: NOW,
      mode: 'preview',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.bucketStartMs).toBe(HOUR);
    expect(body.tickers.sort()).toEqual(['AAPL', 'MSFT']);
    expect(body.stats).toEqual({
      universe: 4,
      updated: 2,
      alreadyEvaluated: 0,
      claimedElsewhere: 0,
    });
    expect(body.claimId).toBeUndefined();
    expect(await redis.exists(keys.stratClaim(7), keys.stratLast(7))).toBe(0);
  });

  it('200 claim → second claim empty → record → release flow', async () => {
    const first = (
      await post('/v1/plan', {
        strategyId: 7,
        timeframe: '1H',
        mode: 'claim',
        claimId: 'go-1',
      })
    ).json();
    expect(first.bucketStartMs).toBe(HOUR);
    expect(first.tickers.sort()).toEqual(['AAPL', 'MSFT']);
    expect(first.claimId).toBe('go-1');
    const second = (
      await post('/v1/plan', {
        strategyId: 7,
        bucketStartMs: HOUR,
        mode: 'claim',
      })
    ).json();
    expect(second.tickers).toEqual([]);
    expect(second.stats.claimedElsewhere).toBe(2);

    const rec = await post('/v1/record', {
      strategyId: 7,
      bucketStartMs: HOUR,
      tickers: ['AAPL'],
      claimId: 'go-1',
    });
    expect(rec.statusCode).toBe(200);
    expect(rec.json()).toEqual({ recorded: 1 });
    expect(await redis.hget(keys.stratLast(7), 'AAPL')).toBe(String(HOUR));

    const rel = await post('/v1/release', {
      strategyId: 7,
      bucketStartMs: HOUR,
      tickers: ['MSFT'],
      claimId: 'go-1',
    });
    expect(rel.json()).toEqual({ released: 1 });
    const third = (
      await post('/v1/plan', {
        strategyId: 7,
        bucketStartMs: HOUR,
        mode: 'preview',
      })
    ).json();
    expect(third.tickers).toEqual(['MSFT']);

    const global = (
      await post('/v1/plan', {
        strategyId: 8,
        global: true,
        bucketStartMs: HOUR,
        mode: 'preview',
      })
    ).json();
    expect(global.tickers.sort()).toEqual(['AAPL', 'MSFT']);
  });

  it.each([
    ['missing mode', '/v1/plan', { strategyId: 7, timeframe: '1h' }, /mode/],
    [
      'bad mode',
      '/v1/plan',
      { strategyId: 7, timeframe: '1h', mode: 'write' },
      /mode/,
    ],
    [
      'string id',
      '/v1/plan',
      { strategyId: '7', timeframe: '1h', mode: 'preview' },
      /strategyId/,
    ],
    [
      'negative id',
      '/v1/plan',
      { strategyId: -1, timeframe: '1h', mode: 'preview' },
      /strategyId/,
    ],
    [
      'id 0 (strategyid starts at 1)',
      '/v1/plan',
      { strategyId: 0, timeframe: '1h', mode: 'preview' },
      /strategyId must be >= 1/,
    ],
    [
      'id beyond PostgreSQL integer',
      '/v1/plan',
      { strategyId: 2147483648, timeframe: '1h', mode: 'preview' },
      /strategyId must be <= 2147483647/,
    ],
    [
      'fractional id',
      '/v1/plan',
      { strategyId: 1.5, timeframe: '1h', mode: 'preview' },
      /strategyId must be integer/,
    ],
    [
      'neither bucket nor timeframe',
      '/v1/plan',
      { strategyId: 7, mode: 'preview' },
      /exactly one of timeframe or bucketStartMs/,
    ],
    [
      'both',
      '/v1/plan',
      { strategyId: 7, timeframe: '1h', bucketStartMs: HOUR, mode: 'preview' },
      /exactly one/,
    ],
    [
      'at without timeframe',
      '/v1/plan',
      { strategyId: 7, bucketStartMs: HOUR, at: NOW, mode: 'preview' },
      /at only applies/,
    ],
    [
      'bad timeframe',
      '/v1/plan',
      { strategyId: 7, timeframe: '5x', mode: 'preview' },
      /timeframe.*invalid timeframe "5x"/,
    ],
    [
      'zero timeframe',
      '/v1/plan',
      { strategyId: 7, timeframe: '0d', mode: 'preview' },
      /at least 1/,
    ],
    [
      'fractional bucket',
      '/v1/plan',
      { strategyId: 7, bucketStartMs: 1.5, mode: 'preview' },
      /bucketStartMs/,
    ],
    [
      'unknown field',
      '/v1/plan',
      { strategyId: 7, timeframe: '1h', mode: 'preview', extra: 1 },
      /additional properties/,
    ],
    [
      'bad claimId',
      '/v1/plan',
      { strategyId: 7, timeframe: '1h', mode: 'claim', claimId: 'a b' },
      /claimId/,
    ],
    [
      'record without tickers',
      '/v1/record',
      { strategyId: 7, bucketStartMs: HOUR },
      /tickers/,
    ],
    [
      'record lower-case ticker',
      '/v1/record',
      { strategyId: 7, bucketStartMs: HOUR, tickers: ['aapl'] },
      /tickers\/0 is not a normalised ticker/,
    ],
    [
      'record number ticker',
      '/v1/record',
      { strategyId: 7, bucketStartMs: HOUR, tickers: [5] },
      /tickers\/0/,
    ],
    [
      'release without claimId',
      '/v1/release',
      { strategyId: 7, bucketStartMs: HOUR, tickers: ['A'] },
      /claimId/,
    ],
  ])('400 for %s', async (_what, url, body, message) => {
    const res = await post(url, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(message);
  });

  it('lossless: plan hands out seenMs, record takes it with the triggered tickers', async () => {
    const plan = () =>
      post('/v1/plan', {
        strategyId: 7,
        bucketStartMs: HOUR,
        mode: 'claim',
        throttle: 'lossless',
      }).then(r => r.json());
    const first = await plan();
    expect(first.tickers.sort()).toEqual(['AAPL', 'MSFT']);
    expect(first.seenMs).toEqual(
      first.tickers.map((t: string) => (t === 'AAPL' ? HOUR + 1 : HOUR + 2)),
    );
    expect(first.stats).toMatchObject({ triggered: 0 });
    const rec = await post('/v1/record', {
      strategyId: 7,
      bucketStartMs: HOUR,
      tickers: first.tickers,
      seenMs: first.seenMs,
      triggered: ['MSFT'],
      claimId: first.claimId,
      throttle: 'lossless',
    });
    expect(rec.statusCode).toBe(200);
    expect(rec.json()).toEqual({ recorded: 2, triggered: 1 });
    // Go reads LAST as before.
    expect(await redis.hget(keys.stratLast(7), 'AAPL')).toBe(String(HOUR));
    // Both trade again: AAPL is due again, MSFT triggered in this bucket.
    await redis.zadd(keys.tickUpd(), HOUR + 70, 'AAPL', HOUR + 80, 'MSFT');
    const again = await plan();
    expect(again.tickers).toEqual(['AAPL']);
    expect(again.seenMs).toEqual([HOUR + 70]);
    expect(again.stats).toMatchObject({ triggered: 1 });
  });

  it.each([
    [
      'seenMs without throttle lossless',
      { tickers: ['AAPL'], seenMs: [HOUR] },
      /only apply with throttle "lossless"/,
    ],
    [
      'lossless without seenMs',
      { tickers: ['AAPL'], throttle: 'lossless' },
      /body\/seenMs must hold/,
    ],
    [
      'seenMs of another length',
      { tickers: ['AAPL', 'MSFT'], seenMs: [HOUR], throttle: 'lossless' },
      /one per ticker \(2\)/,
    ],
    [
      'a triggered ticker that was not evaluated',
      {
        tickers: ['AAPL'],
        seenMs: [HOUR],
        triggered: ['MSFT'],
        throttle: 'lossless',
      },
      /body\/triggered\/0 is not one of body\/tickers/,
    ],
    [
      'an unknown throttle',
      { tickers: ['AAPL'], throttle: 'fast' },
      /throttle/,
    ],
  ])(
    '400 for a record with %s, and nothing written',
    async (_what, body, error) => {
      const res = await post('/v1/record', {
        strategyId: 7,
        bucketStartMs: HOUR,
        ...body,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatch(error);
      expect(await redis.exists(...keys.stratEvaluation(7))).toBe(0);
    },
  );

  it('serves its OpenAPI document without a token, as pinned in openapi.json', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    // A contract change shows up in review: regenerate with
    // `npm run openapi -w @tickpulse/throttle-shadow` and commit it.
    expect(doc).toEqual(
      JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8')),
    );
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/openapi.json',
      '/v1/plan',
      '/v1/record',
      '/v1/release',
    ]);
    expect(doc.paths['/v1/plan'].post.security).toEqual([{ bearerAuth: [] }]);
    // Every documented route is served (an empty body is a 400, not a 404).
    for (const path of ['/v1/plan', '/v1/record', '/v1/release'])
      expect((await post(path, {})).statusCode).toBe(400);
  });

  it('400 for a body that is not JSON', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/plan',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"strategyId": ',
    });
    expect(res.statusCode).toBe(400);
  });

  it('413 for a body over the limit, and nothing recorded', async () => {
    await app.close();
    app = await build(TOKEN, 1024);
    const tickers = Array.from({ length: 500 }, (_, i) => `T${i}`);
    const res = await post('/v1/record', {
      strategyId: 7,
      bucketStartMs: HOUR,
      tickers,
    });
    expect(res.statusCode).toBe(413);
    expect(await redis.exists(keys.stratLast(7))).toBe(0);
  });

  it('counts requests by route and status', async () => {
    await post('/v1/plan', { strategyId: 7, timeframe: '1h', mode: 'preview' });
    await post('/v1/plan', { strategyId: 7, mode: 'preview' });
    await post(
      '/v1/plan',
      { strategyId: 7, timeframe: '1h', mode: 'preview' },
      {},
    );
    const { values } = await registry
      .getSingleMetric('tickpulse_throttle_shadow_api_requests_total')!
      .get();
    const by = Object.fromEntries(
      values.map(v => [`${v.labels.route} ${v.labels.status}`, v.value]),
    );
    expect(by).toEqual({ 'plan 200': 1, 'plan 400': 1, 'plan 401': 1 });
  });

  it('serves without a token only when built with none (ALLOW_UNAUTHENTICATED)', async () => {
    await app.close();
    app = await build(null);
    const res = await post(
      '/v1/plan',
      { strategyId: 7, timeframe: '1h', mode: 'preview' },
      {},
    );
    expect(res.statusCode).toBe(200);
  });
});
