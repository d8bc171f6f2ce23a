import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import {
  deletePrefix,
  freePort,
  testRedis,
  TEST_REDIS_URL,
  uniquePrefix,
  waitFor,
} from '@tickpulse/testkit';
import { createKeys } from '@tickpulse/contracts';
import type { ThrottleReport } from '../src/throttle-models';
import { createStrategiesSchema, type TestSchema } from './pg-schema';

const MAIN = join(__dirname, '..', 'dist', 'main.js');
const TOKEN = 'main-test-token-0123456789';

interface Running {
  proc: ChildProcess;
  base: string;
  output: () => string;
  exit: Promise<number | null>;
}

async function startApp(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  let out = '';
  const proc = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      REDIS_URL: TEST_REDIS_URL,
      HTTP_PORT: String(port),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', d => (out += d));
  proc.stderr!.on('data', d => (out += d));
  const exit = new Promise<number | null>(resolve =>
    proc.once('exit', code => resolve(code)),
  );
  return { proc, base: `http://127.0.0.1:${port}`, output: () => out, exit };
}

async function stopApp(app: Running): Promise<number | null> {
  if (app.proc.exitCode === null) app.proc.kill('SIGTERM');
  return app.exit;
}

const metric = (text: string, line: string) =>
  text
    .split('\n')
    .find(l => l.startsWith(line + ' '))
    ?.split(' ')[1];

describe('throttle-shadow process (dist/main.js)', () => {
  let redis: Redis;
  let prefix: string;
  let schema: TestSchema;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(async () => {
    prefix = uniquePrefix('main');
    schema = await createStrategiesSchema();
  });
  afterEach(async () => {
    await deletePrefix(redis, prefix);
    await schema.drop();
  });
  afterAll(() => redis.quit());

  it('THROTTLE_SHADOW_ENABLED=false: health and metrics only, flag reported off', async () => {
    const app = await startApp({
      THROTTLE_SHADOW_ENABLED: 'false',
      REDIS_KEY_PREFIX: prefix,
      DATABASE_URL: schema.url,
    });
    try {
      await waitFor(async () => (await fetch(`${app.base}/healthz`)).ok, {
        timeoutMs: 20_000,
        what: 'healthz',
      });
      const ready = await fetch(`${app.base}/readyz`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as {
        checks: Record<string, { detail?: string }>;
      };
      expect(body.checks.shadow!.detail).toMatch(
        /disabled \(THROTTLE_SHADOW_ENABLED=false\)/,
      );
      expect(body.checks.planner_api!.detail).toMatch(/disabled/);
      const metrics = await (await fetch(`${app.base}/metrics`)).text();
      expect(
        metric(
          metrics,
          'tickpulse_throttle_shadow_feature_enabled{feature="shadow"}',
        ),
      ).toBe('0');
      expect(metrics).not.toMatch(/tickpulse_throttle_shadow_cycles_total\{/);
      const plan = await fetch(`${app.base}/v1/plan`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${TOKEN}`,
        },
        body: JSON.stringify({
          strategyId: 1,
          timeframe: '1h',
          mode: 'preview',
        }),
      });
      expect(plan.status).toBe(404);
      const report = await fetch(`${app.base}/throttle-report`);
      expect(report.status).toBe(503);
      expect(((await report.json()) as { error: string }).error).toMatch(
        /THROTTLE_SHADOW_ENABLED=true/,
      );
    } finally {
      expect(await stopApp(app)).toBe(0);
    }
    expect(app.output()).toMatch(/"shadow":false/);
  });

  it('THROTTLE_SHADOW_ENABLED=true: runs cycles against PostgreSQL, API behind the token', async () => {
    const keys = createKeys(prefix);
    await schema.pool.query(
      `INSERT INTO strategies (strategyid, alertactive, alert_universe, alert_universe_full, min_timeframe)
       VALUES (1, true, ARRAY['AAPL'], ARRAY['AAPL'], '1m'), (2, true, NULL, NULL, '1d')`,
    );
    await redis.sadd(keys.stratUniv(1), 'AAPL');
    await redis.zadd(keys.tickUpd(), Date.now(), 'AAPL');
    const app = await startApp({
      THROTTLE_SHADOW_ENABLED: 'true',
      SHADOW_INTERVAL: '200ms',
      PLANNER_API_ENABLED: 'true',
      API_TOKEN: TOKEN,
      REDIS_KEY_PREFIX: prefix,
      DATABASE_URL: schema.url,
    });
    try {
      await waitFor(
        async () => {
          const text = await (await fetch(`${app.base}/metrics`)).text();
          return (
            Number(
              metric(
                text,
                'tickpulse_throttle_shadow_cycles_total{outcome="ok"}',
              ) ?? 0,
            ) >= 2
          );
        },
        { timeoutMs: 20_000, what: 'two shadow cycles' },
      );
      const metrics = await (await fetch(`${app.base}/metrics`)).text();
      expect(
        metric(
          metrics,
          'tickpulse_throttle_shadow_feature_enabled{feature="shadow"}',
        ),
      ).toBe('1');
      expect(
        metric(metrics, 'tickpulse_throttle_shadow_strategies{class="small"}'),
      ).toBe('1');
      expect(
        metric(metrics, 'tickpulse_throttle_shadow_strategies{class="global"}'),
      ).toBe('1');
      const ready = await fetch(`${app.base}/readyz`);
      expect(ready.status).toBe(200);
      const denied = await fetch(`${app.base}/v1/plan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          strategyId: 1,
          timeframe: '1m',
          mode: 'preview',
        }),
      });
      expect(denied.status).toBe(401);
      const plan = await fetch(`${app.base}/v1/plan`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${TOKEN}`,
        },
        body: JSON.stringify({
          strategyId: 1,
          timeframe: '1d',
          mode: 'preview',
        }),
      });
      expect(plan.status).toBe(200);
      expect(((await plan.json()) as { tickers: string[] }).tickers).toEqual([
        'AAPL',
      ]);
      // The report: both strategies, the global one on Go's global path.
      const report = (await (
        await fetch(`${app.base}/throttle-report?since=1h`)
      ).json()) as ThrottleReport;
      expect(report.window.cycles).toBeGreaterThanOrEqual(2);
      expect(report.strategies.map(x => [x.id, x.goPath])).toEqual([
        [1, 'per-ticker'],
        [2, 'global'],
      ]);
      expect(report.totals.legacy.runs).toBeGreaterThanOrEqual(4);
      const bad = await fetch(`${app.base}/throttle-report?since=yesterday`);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(
        /query\/since: must be a duration/,
      );
      // The shadow never records.
      expect(await redis.exists(keys.stratLast(1), keys.stratLast(2))).toBe(0);
    } finally {
      expect(await stopApp(app)).toBe(0);
    }
    expect(app.output()).not.toContain(TOKEN);
  });

  it('COMPARE_ENABLED=true: compares with the reference namespace every COMPARE_INTERVAL', async () => {
    const ref = uniquePrefix('main-ref');
    await redis.zadd(`${ref}TICK:UPD`, 5000, 'AAPL');
    await redis.zadd(`${prefix}TICK:UPD`, 4000, 'AAPL');
    const app = await startApp({
      COMPARE_ENABLED: 'true',
      COMPARE_REFERENCE_PREFIX: ref,
      COMPARE_INTERVAL: '200ms',
      REDIS_KEY_PREFIX: prefix,
      DATABASE_URL: schema.url,
    });
    const scrape = async (line: string) =>
      metric(await (await fetch(`${app.base}/metrics`)).text(), line);
    try {
      await waitFor(
        async () =>
          (await scrape(
            'tickpulse_compare_tick_abs_delta_seconds{stat="max"}',
          )) === '1',
        { timeoutMs: 20_000, what: 'the first comparison' },
      );
      // A later run sees the shadow catch up: the schedule keeps running.
      await redis.zadd(`${prefix}TICK:UPD`, 5000, 'AAPL');
      await waitFor(
        async () =>
          (await scrape('tickpulse_compare_tickers{set="equal"}')) === '1',
        { timeoutMs: 20_000, what: 'a later comparison' },
      );
      expect(
        Number(await scrape('tickpulse_compare_runs_total{result="ok"}')),
      ).toBeGreaterThanOrEqual(2);
    } finally {
      expect(await stopApp(app)).toBe(0);
      await deletePrefix(redis, ref);
    }
  });

  it('refuses to compare a namespace with itself (exit 78)', async () => {
    const app = await startApp({
      COMPARE_ENABLED: 'true',
      REDIS_KEY_PREFIX: prefix,
      COMPARE_REFERENCE_PREFIX: prefix,
    });
    expect(await app.exit).toBe(78);
    expect(app.output()).toMatch(/COMPARE_REFERENCE_PREFIX: must differ/);
  });

  it('refuses to start the API without a token (exit 78, names the variable)', async () => {
    const app = await startApp({ PLANNER_API_ENABLED: 'true' });
    expect(await app.exit).toBe(78);
    expect(app.output()).toMatch(
      /API_TOKEN: is required when PLANNER_API_ENABLED=true/,
    );
  });
});
