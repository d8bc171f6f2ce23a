import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import {
  deletePrefix,
  testRedis,
  uniquePrefix,
  waitFor,
} from '@tickpulse/testkit';
import {
  createKeys,
  createLogger,
  createThrottlePlanner,
  type RedisKeys,
} from '@tickpulse/shared';
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
    const medium = Array.from({ length: 150 }, (_, i) => `M${i}`);
    await schema.pool.query(
      `INSERT INTO strategies (strategyid, alertactive, alert_universe_full, min_timeframe) VALUES
         (1, true,  ARRAY['A','B','C'], '1h'),
         (2, true,  NULL, NULL),
         (3, false, ARRAY['A'], '1m'),
         (4, true,  ARRAY['  ', NULL], '5x'),
         (5, true,  $1::text[], '15m')`,
      [medium],
    );
    await redis.sadd(keys.stratUniv(1), 'A', 'B', 'C');
    await redis.sadd(keys.stratUniv(5), ...medium);
    await redis.zadd(
      keys.tickUpd(),
      T('2025-07-15T14:01:00Z'),
      'A',
      T('2025-07-15T13:59:00Z'),
      'B',
      T('2025-07-14T15:00:00Z'),
      'OLD',
      ...medium.slice(0, 50).flatMap(t => [T('2025-07-15T14:02:00Z'), t]),
    );
    // The live alert loop already evaluated A in this hour.
    await redis.hset(keys.stratLast(1), 'A', String(HOUR_BUCKET));
  }

  it('counts what each throttle would evaluate, per class, and writes nothing', async () => {
    await seed();
    const registry = new Registry();
    let now = NOW;
    const shadow = createShadow({
      planner: createThrottlePlanner(redis, keys),
      source: createStrategySource(schema.pool),
      registry,
      logger,
      intervalMs: 10_000,
      now: () => now,
    });
    const ev = (cls: string, throttle: string) =>
      value(registry, 'tickpulse_throttle_shadow_ticker_evaluations_total', {
        class: cls,
        throttle,
      });
    const sk = (cls: string, throttle: string) =>
      value(registry, 'tickpulse_throttle_shadow_ticker_skips_total', {
        class: cls,
        throttle,
      });
    const ratio = (cls: string, throttle: string) =>
      value(registry, 'tickpulse_throttle_shadow_ticker_skip_ratio', {
        class: cls,
        throttle,
      });

    const first = await shadow.runOnce();
    expect(first.ok).toBe(true);
    expect(first.strategies).toBe(4);
    // small (1): A already evaluated, B updated before 14:00, C never.
    expect([
      await ev('small', 'strategy'),
      await ev('small', 'ticker'),
      await sk('small', 'ticker'),
    ]).toEqual([3, 0, 3]);
    // medium (5): 50 of 150 updated since 14:00.
    expect([
      await ev('medium', 'strategy'),
      await ev('medium', 'ticker'),
      await sk('medium', 'ticker'),
    ]).toEqual([150, 50, 100]);
    // global (2): every ticker in TICK:UPD (53), 52 updated since 00:00 ET; (4) has a bad timeframe.
    expect([
      await ev('global', 'strategy'),
      await ev('global', 'ticker'),
      await sk('global', 'ticker'),
    ]).toEqual([53, 52, 1]);
    expect(
      await value(registry, 'tickpulse_throttle_shadow_errors_total', {
        reason: 'invalid_timeframe',
      }),
    ).toBe(1);
    expect(
      await value(registry, 'tickpulse_throttle_shadow_strategies', {
        class: 'global',
      }),
    ).toBe(2);
    expect(await ratio('medium', 'strategy')).toBe(0);
    expect(await ratio('medium', 'ticker')).toBeCloseTo(100 / 150);
    expect(
      await value(
        registry,
        'tickpulse_throttle_shadow_ticker_skip_reasons_total',
        { class: 'small', reason: 'already_evaluated' },
      ),
    ).toBe(1);
    expect(
      await value(
        registry,
        'tickpulse_throttle_shadow_ticker_skip_reasons_total',
        { class: 'small', reason: 'not_updated' },
      ),
    ).toBe(2);
    expect(
      await value(registry, 'tickpulse_throttle_shadow_strategy_runs_total', {
        class: 'small',
        throttle: 'ticker',
      }),
    ).toBe(0);
    expect(
      await value(registry, 'tickpulse_throttle_shadow_strategy_skips_total', {
        class: 'small',
        throttle: 'ticker',
      }),
    ).toBe(1);

    // Same buckets, one new trade: the old throttle skips everything, the
    // per-ticker one evaluates only the new ticker.
    await redis.zadd(keys.tickUpd(), T('2025-07-15T14:04:00Z'), 'M60');
    now = T('2025-07-15T14:04:30Z');
    await shadow.runOnce();
    expect(await ratio('medium', 'strategy')).toBe(1);
    expect(await ratio('medium', 'ticker')).toBeCloseTo(149 / 150);
    expect(await ev('medium', 'ticker')).toBe(51);
    expect(await ev('global', 'ticker')).toBe(53);
    expect(await ev('medium', 'strategy')).toBe(150);
    expect(
      await value(registry, 'tickpulse_throttle_shadow_strategy_skips_total', {
        class: 'medium',
        throttle: 'strategy',
      }),
    ).toBe(1);

    // A new 15-minute bucket: the old throttle runs strategy 5 again, the new one has nothing updated.
    now = T('2025-07-15T14:15:30Z');
    await shadow.runOnce();
    expect(await ev('medium', 'strategy')).toBe(300);
    expect(await ev('medium', 'ticker')).toBe(51);
    expect(await ratio('small', 'strategy')).toBe(1);

    // Preview only: LAST untouched, no claims anywhere.
    expect(await redis.hgetall(keys.stratLast(1))).toEqual({
      A: String(HOUR_BUCKET),
    });
    expect(await redis.exists(keys.stratLast(2), keys.stratLast(5))).toBe(0);
    const [, claimKeys] = await redis.scan(
      '0',
      'MATCH',
      `${prefix}*CLAIM*`,
      'COUNT',
      1000,
    );
    expect(claimKeys).toEqual([]);
    expect(
      await value(registry, 'tickpulse_throttle_shadow_cycles_total', {
        outcome: 'ok',
      }),
    ).toBe(3);
  });

  it('counts a failed cycle when the strategies cannot be read, and keeps running', async () => {
    const broken = await createStrategiesSchema(false);
    try {
      const registry = new Registry();
      const shadow = createShadow({
        planner: createThrottlePlanner(redis, keys),
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
    const shadow = createShadow({
      planner: createThrottlePlanner(redis, keys),
      source: createStrategySource(schema.pool),
      registry,
      logger,
      intervalMs: 20,
    });
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
