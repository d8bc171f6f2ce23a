import {
  createKeys,
  enqueueUniverseSync,
  publishTickBatch,
  QUEUE_NAMES,
} from '@tickpulse/contracts';
import { createTickStore, createUniverseStore } from '@tickpulse/redis';
import {
  exactMemoryUsage,
  seededRandom,
  startPrivateRedis,
  testRedis,
  waitFor,
  type PrivateRedis,
} from '@tickpulse/testkit';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createLogger } from '@tickpulse/service-kit';
import { Registry } from 'prom-client';
import {
  FOOTPRINT_PARTS,
  sampleFootprint,
  startFootprintSampler,
} from '../src/footprint';
import { createUniverseMetrics } from '../src/metrics';

// A private redis-server: the command-count check reads INFO stats, which
// other tests' traffic on the shared Redis would disturb.
describe('footprint sampler', () => {
  let srv: PrivateRedis;
  let redis: Redis;
  const keys = createKeys('fp:');
  const bull = 'fpq';

  beforeAll(async () => {
    srv = await startPrivateRedis();
    redis = testRedis(srv.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await srv.stop();
  });

  const exact = async (pattern: string) =>
    (await exactMemoryUsage(redis, pattern)).bytes;

  /** Writes `strategies` universes (with fingerprints and LAST hashes), TICK:UPD, and queue jobs. */
  const fill = async (strategies: number) => {
    const rnd = seededRandom(strategies);
    const tickers = Array.from(
      { length: 2000 },
      (_, i) => `T${i.toString(36).toUpperCase()}`,
    );
    await createTickStore(redis, keys).markUpdated(
      tickers.map((t, i) => [t, 1_752_586_200_000 + i]),
    );
    const store = createUniverseStore(redis, keys);
    for (let id = 1; id <= strategies; id++) {
      const u = new Set<string>();
      while (u.size < 200) u.add(tickers[Math.floor(rnd() * tickers.length)]!);
      await store.replace(id, [...u]);
      await redis.hset(
        keys.stratLast(id),
        ...[...u].flatMap(t => [t, '1752586200000']),
      );
      await redis.hset(
        keys.univFingerprints(),
        String(id),
        `1:${'f'.repeat(32)}:200`,
      );
    }
    const ticks = new Queue(QUEUE_NAMES.ticks, {
      connection: redis,
      prefix: bull,
    });
    const sync = new Queue(QUEUE_NAMES.universeSync, {
      connection: redis,
      prefix: bull,
    });
    for (let i = 0; i < 3; i++)
      await publishTickBatch(
        ticks,
        new Map(tickers.map(t => [t, 1_752_586_200_000])),
      );
    for (let id = 1; id <= strategies; id++)
      await enqueueUniverseSync(sync, id, 'test');
    await ticks.close();
    await sync.close();
  };

  const commands = async () =>
    Number(
      /total_commands_processed:(\d+)/.exec(await redis.info('stats'))![1],
    );

  it('estimates every part close to the exact size, with as many commands for 400 strategies as for 20', async () => {
    await fill(20);
    let before = await commands();
    await sampleFootprint(redis, keys, bull);
    const small = (await commands()) - before - 1; // minus the INFO itself

    await redis.flushall();
    await fill(400);
    before = await commands();
    const got = await sampleFootprint(redis, keys, bull);
    const big = (await commands()) - before - 1;
    expect(big).toBe(small);
    // At most: 4 + 2 × 5 strategy keys + 2 queues × (13 structure keys
    // + 5 × 2 id reads + 25 × 2 job reads + 20 deduplication keys).
    expect(big).toBeLessThanOrEqual(200);

    const want: Record<(typeof FOOTPRINT_PARTS)[number], number> = {
      tick_upd: await exact(keys.tickUpd()),
      universes: await exact(keys.stratUnivPattern()),
      last_buckets: await exact('fp:STRAT:*:LAST'),
      fingerprints: await exact(keys.univFingerprints()),
      ticks_queue: await exact(`${bull}:${QUEUE_NAMES.ticks}:*`),
      universe_sync_queue: await exact(`${bull}:${QUEUE_NAMES.universeSync}:*`),
    };
    for (const part of FOOTPRINT_PARTS) {
      expect(want[part]).toBeGreaterThan(0);
      // Sampled: within 20 % of the exact sum.
      expect(Math.abs(got[part] - want[part]) / want[part]).toBeLessThan(0.2);
    }
  });

  it('exports the parts in tickpulse_redis_footprint_bytes, and counts a failed sample', async () => {
    await redis.flushall();
    await fill(5);
    const registry = new Registry();
    const metrics = createUniverseMetrics(registry);
    let errors = 0;
    const stop = startFootprintSampler({
      redis,
      keys,
      bullmqPrefix: bull,
      intervalMs: 50,
      gauge: metrics.footprint,
      logger: createLogger({ service: 'test', level: 'silent' }),
      onError: () => errors++,
    });
    try {
      await waitFor(async () =>
        (await registry.metrics()).includes(
          'tickpulse_redis_footprint_bytes{part="universes"}',
        ),
      );
      const text = await registry.metrics();
      for (const part of FOOTPRINT_PARTS)
        expect(text).toMatch(
          new RegExp(
            `tickpulse_redis_footprint_bytes\\{part="${part}"\\} [1-9]`,
          ),
        );
      // A key of the wrong type (WRONGTYPE on HLEN) fails a sample: counted, not thrown.
      await redis.del(keys.univFingerprints());
      await redis.set(keys.univFingerprints(), 'not a hash');
      await waitFor(() => errors > 0, { what: 'a failed sample counted' });
    } finally {
      stop();
    }
  });

  it('reports zeros for an empty Redis instead of failing', async () => {
    await redis.flushall();
    const got = await sampleFootprint(redis, keys, bull);
    for (const part of FOOTPRINT_PARTS) expect(got[part]).toBe(0);
  });
});
