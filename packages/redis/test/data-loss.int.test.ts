import { deletePrefix, testRedis, uniquePrefix } from '@tickpulse/testkit';
import { Registry } from 'prom-client';
import { createKeys } from '@tickpulse/contracts';
import { createDataLossWatch, DATA_LOSS_METRIC } from '../src';
import { createLogger, metricTotal } from '@tickpulse/service-kit';

describe('createDataLossWatch (real Redis)', () => {
  const redis = testRedis();
  const keys = createKeys(uniquePrefix('loss'));
  const logger = createLogger({ service: 't', level: 'silent' });

  afterAll(async () => {
    await deletePrefix(redis, keys.prefix);
    redis.disconnect();
  });

  function watch(onDataLoss: () => Promise<void>) {
    const registry = new Registry();
    const w = createDataLossWatch({
      redis,
      keys,
      logger,
      registry,
      onDataLoss,
      checkIntervalMs: 3_600_000,
    });
    return { w, events: () => metricTotal(registry, DATA_LOSS_METRIC) };
  }

  it('creates the marker and stays quiet while it is unchanged', async () => {
    let calls = 0;
    const { w, events } = watch(async () => void calls++);
    await w.start();
    expect(await redis.get(keys.dataEpoch())).toMatch(/^[0-9a-f-]{36}$/);
    await w.check();
    await w.check();
    expect({ calls, events: await events() }).toEqual({ calls: 0, events: 0 });
    w.stop();
  });

  it('fires once when the marker is gone, and once when another process re-created it', async () => {
    let calls = 0;
    const a = watch(async () => void calls++);
    const b = watch(async () => void calls++);
    await a.w.start();
    await b.w.start();
    await redis.del(keys.dataEpoch());
    await a.w.check(); // a notices the gap and writes a new epoch
    await b.w.check(); // b sees another epoch: its data set was replaced too
    await a.w.check();
    await b.w.check();
    expect(calls).toBe(2);
    expect(await a.events()).toBe(1);
    expect(await b.events()).toBe(1);
    a.w.stop();
    b.w.stop();
  });

  it('retries a failed recovery at the next check until it succeeds', async () => {
    let attempts = 0;
    const { w, events } = watch(async () => {
      attempts++;
      if (attempts === 1) throw new Error('queue unavailable');
    });
    await w.start();
    await redis.del(keys.dataEpoch());
    await w.check();
    await w.check();
    await w.check();
    expect({ attempts, events: await events() }).toEqual({
      attempts: 2,
      events: 1,
    });
    w.stop();
  });
});
