import { Redis } from 'ioredis';
import pino from 'pino';
import {
  COMPARE_FIXTURE,
  deletePrefix,
  startPrivateRedis,
  testRedis,
  uniquePrefix,
  writeCompareFixture,
} from '@tickpulse/testkit';
import { createKeys } from '@tickpulse/contracts';
import { createMetricsRegistry } from '@tickpulse/service-kit';
import { createCompareExporter } from '../src/compare-exporter';

const gauge = async (
  registry: ReturnType<typeof createMetricsRegistry>,
  name: string,
  label: Record<string, string>,
) => {
  const m = registry.getSingleMetric(name);
  const { values } = await m!.get();
  return values.find(v =>
    Object.entries(label).every(([k, x]) => v.labels[k] === x),
  )?.value;
};

describe('compare exporter', () => {
  let redis: Redis;
  let ref: string;
  let shadow: string;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    ref = uniquePrefix('exp-ref');
    shadow = uniquePrefix('exp-sh');
  });
  afterEach(async () => {
    await deletePrefix(redis, ref);
    await deletePrefix(redis, shadow);
  });
  afterAll(() => redis.quit());

  it('exports the last comparison as gauges, in seconds for the deltas', async () => {
    await writeCompareFixture(redis, ref, shadow);
    const want = COMPARE_FIXTURE.comparison;
    const registry = createMetricsRegistry();
    const exporter = createCompareExporter({
      redis,
      reference: createKeys(ref),
      shadow: createKeys(shadow),
      registry,
      logger: pino({ level: 'silent' }),
      intervalMs: 60_000,
    });
    expect(await exporter.runOnce()).not.toBeNull();
    const t = (set: string) =>
      gauge(registry, 'tickpulse_compare_tickers', { set });
    expect(await t('reference')).toBe(want.ticks.reference);
    expect(await t('only_reference')).toBe(want.ticks.onlyReference);
    expect(await t('shadow_behind')).toBe(want.ticks.shadowBehind);
    expect(await t('equal')).toBe(want.ticks.equal);
    expect(
      await gauge(registry, 'tickpulse_compare_tick_abs_delta_seconds', {
        stat: 'max',
      }),
    ).toBe(want.ticks.absDeltaMs.max / 1000);
    expect(
      await gauge(registry, 'tickpulse_compare_universes', { set: 'differ' }),
    ).toBe(want.universes.differ);
    expect(
      await gauge(registry, 'tickpulse_compare_runs_total', { result: 'ok' }),
    ).toBe(1);
  });

  it('counts a failed run and keeps the previous gauges', async () => {
    const server = await startPrivateRedis();
    const client = new Redis(server.url, {
      protocol: 2,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.zadd('TICK:UPD', 1, 'A');
      const registry = createMetricsRegistry();
      const exporter = createCompareExporter({
        redis: client,
        reference: createKeys(''),
        shadow: createKeys('sh:'),
        registry,
        logger: pino({ level: 'silent' }),
        intervalMs: 60_000,
      });
      await exporter.runOnce();
      await server.kill();
      expect(await exporter.runOnce()).toBeNull();
      expect(
        await gauge(registry, 'tickpulse_compare_runs_total', {
          result: 'failed',
        }),
      ).toBe(1);
      expect(
        await gauge(registry, 'tickpulse_compare_tickers', {
          set: 'only_reference',
        }),
      ).toBe(1);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
