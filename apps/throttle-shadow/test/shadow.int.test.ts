import type { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import {
  deletePrefix,
  testRedis,
  uniquePrefix,
  waitFor,
} from '@tickpulse/testkit';
import { createKeys, type RedisKeys } from '@tickpulse/contracts';
import { createLogger } from '@tickpulse/service-kit';
import { createShadow } from '../src/shadow';
import { createStrategySource } from '../src/strategy-source';
import { createStrategiesSchema, type TestSchema } from './pg-schema';

const T = (iso: string) => Date.parse(iso);
const NOW = T('2025-07-15T14:03:00Z');
const HOUR_BUCKET = T('2025-07-15T14:00:00Z');
const logger = createLogger({ service: 'test', level: 'silent' });

async function value(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter(v => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((s, v) => s + v.value, 0);
}

describe('shadow comparison against real PostgreSQL and Redis', () => {
  let redis: Redis;
  let prefix: string;
  let keys: RedisKeys;
  let schema: TestSchema;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(async () => {
    prefix = uniquePrefix('shadow');
    keys = createKeys(prefix);
    schema = await createStrategiesSchema();
  });
  afterEach(async () => {
    await deletePrefix(redis, prefix);
    await schema.drop();
  });
  afterAll(() => redis.quit());

  async function seed() {
    await schema.pool.query(
      `INSERT INTO strategies
         (strategyid, alertactive, alert_universe, alert_universe_full, min_timeframe, alert_last_trigger_at)
       VALUES
         (1, true,  ARRAY['A','B','C'], ARRAY['A','B','C'], '1h', NULL),
         (2, true,  NULL,               NULL,               NULL, NULL),
         (3, true,  ARRAY['X'],         NULL,               '1m', NULL),
         (4, true,  ARRAY['A'],         ARRAY['A'],         '5x', NULL),
         (5, false, ARRAY['A'],         ARRAY['A'],         '1m', NULL),
         (6, true,  '{}',               ARRAY['A','B'],     '15m', '2025-07-15T14:01:00Z')`,
    );
    await redis.zadd(
      keys.tickUpd(),
      T('2025-07-15T14:01:00Z'),
      'A',
      T('2025-07-15T13:59:00Z'),
      'B',
      T('2025-07-14T15:00:00Z'),
      'OLD',
      T('2025-07-01T15:00:00Z'),
      'ANCIENT',
    );
    // The live Go loop, in the same namespace, already evaluated A this hour.
    await redis.hset(keys.stratLast(1), 'A', String(HOUR_BUCKET));
  }

  const shadowOn = (
    registry: Registry,
    now: () => number,
    intervalMs = 10_000,
  ) =>
    createShadow({
      redis,
      keys,
      source: createStrategySource(schema.pool),
      registry,
      logger,
      intervalMs,
      now,
    });

  it('models legacy, Go per-ticker and lossless from the Go loop’s inputs, ignoring the live LAST, writing nothing', async () => {
    await seed();
    const registry = new Registry();
    let now = NOW;
    const shadow = shadowOn(registry, () => now);
    const first = await shadow.runOnce();
    expect(first).toMatchObject({
      ok: true,
      strategies: 5,
      goPaths: {
        'per-ticker': 1,
        global: 2,
        disabled: 1,
        'invalid-timeframe': 1,
      },
    });
    // 14:03, market A, B, OLD (ANCIENT is older than a week). 1: legacy its
    // 3 symbols; Go only A (updated this hour; the live LAST is not read).
    // 2: global, the market for legacy and Go; lossless A and B (today).
    // 3: legacy X; Go never; lossless plans it over the market (no set),
    // where nothing traded in its first 1 m bucket. 4: legacy every cycle;
    // Go never. 6: its last trigger is in this 15 m bucket: legacy and Go
    // skip; lossless A.
    expect(shadow.report().totals).toEqual({
      legacy: { runs: 4, evaluations: 8 },
      goPerTicker: {
        runs: 2,
        evaluations: 4,
        lateUpdates: 0,
        unfilteredRuns: 1,
      },
      lossless: { runs: 3, evaluations: 4, lateUpdates: 0 },
    });

    // A trades again, C for the first time, in the same buckets.
    await redis.zadd(
      keys.tickUpd(),
      T('2025-07-15T14:04:00Z'),
      'A',
      T('2025-07-15T14:04:10Z'),
      'C',
    );
    now = T('2025-07-15T14:04:30Z');
    await shadow.runOnce();
    const report = shadow.report();
    expect(report.window).toEqual({ from: NOW, to: now, cycles: 2 });
    expect(report.totals).toEqual({
      legacy: { runs: 8, evaluations: 17 },
      // Go evaluates C; A's new trade is a late update (1 evaluated A at 14:03).
      // lossless: also A and C for 3, over the market.
      goPerTicker: {
        runs: 4,
        evaluations: 9,
        lateUpdates: 1,
        unfilteredRuns: 2,
      },
      lossless: { runs: 8, evaluations: 12, lateUpdates: 0 },
    });
    expect(report.strategies.map(x => [x.id, x.goPath])).toEqual([
      [1, 'per-ticker'],
      [2, 'global'],
      [3, 'disabled'],
      [4, 'invalid-timeframe'],
      [6, 'global'],
    ]);

    const metric = (name: string, labels: Record<string, string>) =>
      value(registry, `tickpulse_throttle_shadow_${name}`, labels);
    expect(
      await metric('late_updates_total', {
        model: 'go_per_ticker',
        class: 'small',
        unit: 'h',
      }),
    ).toBe(1);
    expect(
      await metric('strategy_runs_total', {
        model: 'go_per_ticker',
        class: 'global',
      }),
    ).toBe(2);
    expect(await metric('strategy_runs_total', { model: 'legacy' })).toBe(8);
    expect(
      await metric('ticker_evaluations_total', { model: 'lossless' }),
    ).toBe(12);
    expect(await metric('go_path_strategies', { path: 'disabled' })).toBe(1);
    expect(await metric('strategies', { class: 'global' })).toBe(2);
    expect(await metric('strategies', { class: 'small' })).toBe(3);
    // Counted once per strategy, not once per cycle.
    expect(await metric('errors_total', { reason: 'invalid_timeframe' })).toBe(
      1,
    );
    expect(await metric('cycles_total', { outcome: 'ok' })).toBe(2);

    // Nothing written: the live LAST as it was, no claims, no other key.
    expect(await redis.hgetall(keys.stratLast(1))).toEqual({
      A: String(HOUR_BUCKET),
    });
    const [, written] = await redis.scan(
      '0',
      'MATCH',
      `${prefix}*`,
      'COUNT',
      1000,
    );
    expect(written.sort()).toEqual([keys.tickUpd(), keys.stratLast(1)].sort());
  });

  it('counts a failed cycle when TICK:UPD cannot be read', async () => {
    await seed();
    await redis.del(keys.tickUpd());
    await redis.set(keys.tickUpd(), 'not a sorted set');
    const registry = new Registry();
    const shadow = shadowOn(registry, () => NOW);
    expect((await shadow.runOnce()).ok).toBe(false);
    expect(
      await value(registry, 'tickpulse_throttle_shadow_errors_total', {
        reason: 'tick_upd_failed',
      }),
    ).toBe(1);
    expect(shadow.report().window.cycles).toBe(0);
  });

  it('logs an invalid min_timeframe once, its free text cut short', async () => {
    await schema.pool.query(
      `INSERT INTO strategies (strategyid, alertactive, alert_universe, min_timeframe)
       VALUES (9, true, ARRAY['A'], repeat('x', 1000000))`,
    );
    const lines: string[] = [];
    const shadow = createShadow({
      redis,
      keys,
      source: createStrategySource(schema.pool),
      registry: new Registry(),
      logger: createLogger({
        service: 'test',
        destination: new Writable({
          write(chunk: Buffer, _enc, done) {
            lines.push(chunk.toString());
            done();
          },
        }),
      }),
      intervalMs: 10_000,
    });
    await shadow.runOnce();
    await shadow.runOnce();
    const warned = lines.filter(l => l.includes('invalid min_timeframe'));
    expect(warned).toHaveLength(1);
    expect(warned[0]!.length).toBeLessThan(1000);
    expect(warned[0]).toContain('(1000000 chars)');
  });

  it('counts a failed cycle when the strategies cannot be read, and keeps running', async () => {
    const broken = await createStrategiesSchema(false);
    try {
      const registry = new Registry();
      const shadow = createShadow({
        redis,
        keys,
        source: createStrategySource(broken.pool),
        registry,
        logger,
        intervalMs: 20,
      });
      await shadow.start();
      await waitFor(
        async () =>
          (await value(registry, 'tickpulse_throttle_shadow_cycles_total', {
            outcome: 'failed',
          })) >= 2,
        { what: 'two failed cycles' },
      );
      expect(shadow.lastCycle()?.ok).toBe(false);
      expect(
        await value(registry, 'tickpulse_throttle_shadow_errors_total', {
          reason: 'strategies_failed',
        }),
      ).toBeGreaterThanOrEqual(2);
      const stop = shadow.stop();
      expect(shadow.stop()).toBe(stop);
      await stop;
    } finally {
      await broken.drop();
    }
  });

  it('runs on its interval until stopped', async () => {
    await seed();
    const registry = new Registry();
    const shadow = shadowOn(registry, Date.now, 20);
    await shadow.start();
    await waitFor(
      async () =>
        (await value(registry, 'tickpulse_throttle_shadow_cycles_total', {
          outcome: 'ok',
        })) >= 3,
      { what: 'three cycles' },
    );
    await shadow.stop();
    const after = await value(
      registry,
      'tickpulse_throttle_shadow_cycles_total',
    );
    await new Promise(r => setTimeout(r, 100));
    expect(
      await value(registry, 'tickpulse_throttle_shadow_cycles_total'),
    ).toBe(after);
  });
});
