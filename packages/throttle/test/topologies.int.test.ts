import {
  COMPARE_FIXTURE,
  startRedisCluster,
  startRedisSentinel,
  waitFor,
  writeCompareFixture,
  type TestRedisCluster,
  type TestRedisSentinel,
} from '@tickpulse/testkit';
import { type Cluster, Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createKeys } from '@tickpulse/contracts';
import {
  closeRedis,
  createDataLossWatch,
  createLease,
  createRedis,
  createTickStore,
  createUniverseStore,
  DATA_LOSS_METRIC,
  describeRedisTarget,
  inspectRedisServer,
  isCluster,
  masterNodes,
  type RedisClient,
} from '@tickpulse/redis';
import {
  createLogger,
  metricTotal,
  type RedisTarget,
} from '@tickpulse/service-kit';
import { compareNamespaces } from '../src';

const logger = createLogger({ service: 'test', level: 'silent' });
const tickers = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `${tag}${i}`);

// Private servers per suite, so the production (unprefixed) key names are
// used as they are: on the cluster they hash to different slots.
const keys = createKeys('');

describe('connection factory and data paths on a 3-master Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let target: RedisTarget;
  const open: RedisClient[] = [];
  const client = (role: 'worker' | 'producer' | 'command' = 'command') => {
    const c = createRedis(target, { role, logger, name: `test-${role}` });
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await startRedisCluster();
    target = { mode: 'cluster', nodes: cluster.nodes };
  }, 60_000);
  afterAll(async () => {
    await Promise.all(open.map(c => closeRedis(c)));
    await cluster.stop();
  });

  it('applies the role options to every node connection', async () => {
    const worker = client('worker') as Cluster;
    const producer = client('producer') as Cluster;
    expect(isCluster(worker)).toBe(true);
    expect(worker.options.redisOptions?.maxRetriesPerRequest).toBeNull();
    expect(producer.options.enableOfflineQueue).toBe(false);
    expect(producer.options.redisOptions?.maxRetriesPerRequest).toBe(1);
    await waitFor(() => producer.status === 'ready', { what: 'ready' });
    expect(await producer.ping()).toBe('PONG');
    expect(await masterNodes(producer)).toHaveLength(3);
    const info = await inspectRedisServer(producer);
    expect(info.supportsZaddGt).toBe(true);
    expect(info.evictionSafe).toBe(true);
    expect(describeRedisTarget(target)).toBe(
      `cluster ${cluster.env.REDIS_CLUSTER_NODES}`,
    );
  });

  it('replaces large and small universes, finds them on every master, removes with LAST', async () => {
    const redis = client();
    await waitFor(() => redis.status === 'ready', { what: 'ready' });
    const store = createUniverseStore(redis, keys);
    const ids = Array.from({ length: 30 }, (_, i) => i + 1);
    // 2 500 members: above the MULTI limit, so the scratch set and swap.
    for (const id of ids) await store.replace(id, tickers(2500, `S${id}X`));
    expect(await redis.scard(keys.stratUniv(7))).toBe(2500);
    expect(await cluster.keySlot(keys.scratch(keys.stratUniv(7), 'x'))).toBe(
      await cluster.keySlot(keys.stratUniv(7)),
    );

    const perMaster = await Promise.all(
      (await masterNodes(redis)).map(async node => {
        const [, found] = await node.scan(
          '0',
          'MATCH',
          'STRAT:*',
          'COUNT',
          1000,
        );
        return found.length;
      }),
    );
    expect(perMaster.every(n => n > 0)).toBe(true);
    const scanned: number[] = [];
    for await (const page of store.scanStrategyIds(5)) scanned.push(...page);
    expect(scanned.sort((a, b) => a - b)).toEqual(ids);
    // No scratch key is left behind anywhere.
    for (const node of await masterNodes(redis)) {
      const [, tmp] = await node.scan('0', 'MATCH', '*:tmp:*', 'COUNT', 1000);
      expect(tmp).toEqual([]);
    }

    await store.replace(7, ['AAPL', 'MSFT']);
    expect((await store.read(7)).sort()).toEqual(['AAPL', 'MSFT']);
    await redis.hset(keys.stratLast(7), 'AAPL', '1');
    expect(await store.remove(7, { withLast: true })).toBe(2);
    expect(await redis.exists(keys.stratUniv(7))).toBe(0);
    expect(await redis.exists(keys.stratLast(7))).toBe(0);
  });

  it('writes TICK:UPD with ZADD GT and holds a lease', async () => {
    const redis = client();
    const ticks = createTickStore(redis, keys);
    await ticks.markUpdated([
      ['AAPL', 2000],
      ['MSFT', 1000],
    ]);
    await ticks.markUpdated([['AAPL', 1500]]);
    expect(await ticks.lastUpdate('AAPL')).toBe(2000);
    const a = createLease(redis, keys.lease('ingest'), 5000);
    const b = createLease(redis, keys.lease('ingest'), 5000);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    await a.release();
    expect(await b.acquire()).toBe(true);
  });

  it('compares the unprefixed and a shadow namespace spread over every master exactly', async () => {
    const redis = client();
    // The earlier tests' universes and TICK:UPD would count in the reference.
    await Promise.all((await masterNodes(redis)).map(n => n.flushall()));
    await writeCompareFixture(redis, '', 'sh:');
    const held = await Promise.all(
      (await masterNodes(redis)).map(
        async node =>
          (await node.scan('0', 'MATCH', '*STRAT:*', 'COUNT', 1000))[1].length,
      ),
    );
    expect(held.every(n => n > 0)).toBe(true);
    // Small pages: SCAN, ZSCAN and SSCAN each take several calls per master.
    const result = await compareNamespaces(
      redis,
      createKeys(''),
      createKeys('sh:'),
      { pageSize: 2, strategiesPerRound: 2, sampleSize: 10 },
    );
    expect(result).toEqual(COMPARE_FIXTURE);
  });

  // Last in this suite: it flushes the masters one by one.
  it('notices the data loss of any one master, whichever holds TICKPULSE:EPOCH', async () => {
    const redis = client();
    const registry = new Registry();
    let rebuilds = 0;
    const watch = createDataLossWatch({
      redis,
      keys,
      logger,
      registry,
      onDataLoss: async () => void rebuilds++,
      checkIntervalMs: 3_600_000,
    });
    await watch.start();
    const markersOn = async (node: Redis) =>
      (await node.scan('0', 'MATCH', 'TICKPULSE:EPOCH*', 'COUNT', 1000))[1];
    const masters = await masterNodes(redis);
    const placed = await Promise.all(masters.map(markersOn));
    expect(placed.map(m => m.length)).toEqual([1, 1, 1]);
    expect(placed.flat()).toContain(keys.dataEpoch());
    expect(await watch.check()).toBe(false);
    for (const [i, node] of masters.entries()) {
      await node.flushall();
      expect(await watch.check()).toBe(true);
      expect(rebuilds).toBe(i + 1);
      // The marker is back on that master and the next check is quiet.
      expect(await markersOn(node)).toEqual(placed[i]);
      expect(await watch.check()).toBe(false);
    }
    expect(await metricTotal(registry, DATA_LOSS_METRIC)).toBe(3);
    watch.stop();
  });
});

describe('connection factory on Sentinel (master, replica, 3 sentinels)', () => {
  let set: TestRedisSentinel;
  let target: RedisTarget;
  const open: RedisClient[] = [];

  beforeAll(async () => {
    set = await startRedisSentinel();
    target = { mode: 'sentinel', sentinels: set.sentinels, name: set.name };
  }, 60_000);
  afterAll(async () => {
    await Promise.all(open.map(c => closeRedis(c)));
    await set.stop();
  });

  it('finds the master through the sentinels and follows a failover', async () => {
    const worker = createRedis(target, {
      role: 'worker',
      logger,
      name: 'test-worker',
    }) as Redis;
    open.push(worker);
    await waitFor(() => worker.status === 'ready', { what: 'ready' });
    expect(describeRedisTarget(target)).toBe(
      `sentinel ${set.name}@${set.env.REDIS_SENTINELS}`,
    );
    const store = createUniverseStore(worker, keys);
    await store.replace(1, tickers(3000, 'F'));
    const ticks = createTickStore(worker, keys);
    await ticks.markUpdated([['AAPL', 5000]]);
    // Replication is asynchronous: wait until the replica has it all.
    expect(await worker.wait(1, 5000)).toBe(1);

    const { from, to } = await set.failover();
    expect(to.port).not.toBe(from.port);
    // The same client reconnects to the promoted replica; its commands wait meanwhile.
    await ticks.markUpdated([['MSFT', 6000]]);
    const served = Number(
      /tcp_port:(\d+)/.exec(await worker.info('server'))?.[1],
    );
    expect(served).toBe(to.port);
    expect(await store.read(1)).toHaveLength(3000);
    expect(await ticks.lastUpdate('AAPL')).toBe(5000);
    expect(await ticks.lastUpdate('MSFT')).toBe(6000);
  }, 90_000);
});

describe('a Sentinel client that ioredis ends during a failover', () => {
  let set: TestRedisSentinel;
  beforeAll(async () => {
    set = await startRedisSentinel({ name: 'tprevive' });
  }, 60_000);
  afterAll(() => set.stop());

  /** Ids of the clients of `port` whose CLIENT LIST line matches `line`. */
  const clientIds = async (admin: Redis, line: RegExp) =>
    ((await admin.call('CLIENT', 'LIST')) as string)
      .split('\n')
      .filter(l => line.test(l))
      .map(l => /\bid=(\d+)/.exec(l)![1]!);

  it('connects again when +switch-master arrives while it asks a sentinel', async () => {
    const [first, second, third] = set.sentinels;
    // The client learns the other sentinels from the first one, which knows
    // them only once their hello messages arrived (every 2 s; later on a
    // busy machine): wait for that, or the detector watches one sentinel.
    const asked = new Redis({ port: first!.port, protocol: 2 });
    // ioredis also skips a sentinel the first one flags `disconnected`.
    await waitFor(
      async () => {
        const known = (await asked.call(
          'SENTINEL',
          'SENTINELS',
          set.name,
        )) as string[][];
        return (
          known.length === 2 &&
          known.every(
            e => !String(e[e.indexOf('flags') + 1]).includes('disconnected'),
          )
        );
      },
      { timeoutMs: 30_000, what: 'the first sentinel to know the others' },
    ).finally(() => asked.disconnect());
    // Only the first sentinel is configured, so every reconnect asks it
    // first; the client learns the others and its failover detector
    // subscribes to them.
    const client = createRedis(
      { mode: 'sentinel', sentinels: [first!], name: set.name },
      { role: 'producer', logger, name: 'test-revive' },
    ) as Redis;
    const admins = [second!, third!].map(
      s => new Redis({ port: s.port, protocol: 2, lazyConnect: true }),
    );
    const master = new Redis({ port: set.master().port, protocol: 2 });
    try {
      await waitFor(() => client.status === 'ready', { what: 'ready' });
      // Subscribed to at least one sentinel that stays up: the client may
      // have learnt only one of the two (the first one reports a sentinel
      // it has not heard from lately as disconnected, and ioredis skips it).
      const detectorOn = async () =>
        (
          await Promise.all(
            admins.map(a => clientIds(a, /\bsub=1\b.*\bcmd=subscribe\b/)),
          )
        ).some(ids => ids.length > 0);
      await waitFor(detectorOn, { what: 'failover detector subscribed' });

      // The client's reconnect now hangs on the paused sentinel …
      set.sentinelSignal(0, 'pause');
      for (const id of await clientIds(master, /name=tickpulse:test-revive/))
        await master.call('CLIENT', 'KILL', 'ID', id);
      await waitFor(() => client.status === 'connecting', {
        what: 'reconnect asking the paused sentinel',
      });
      // … while a failover completes: the detector disconnects (its
      // subscriptions close) in the middle of that connect.
      await admins[0]!.call('SENTINEL', 'FAILOVER', set.name);
      await waitFor(async () => !(await detectorOn()), {
        timeoutMs: 30_000,
        what: 'the failover detector to fire',
      });
      set.sentinelSignal(0, 'resume');

      // ioredis alone leaves the client in `end` here, for good.
      await waitFor(() => client.status === 'ready', {
        timeoutMs: 30_000,
        what: 'the client connected again',
      });
      expect(await client.set('revived', '1')).toBe('OK');
    } finally {
      set.sentinelSignal(0, 'resume');
      await closeRedis(client);
      admins.forEach(a => a.disconnect());
      master.disconnect();
    }
  }, 90_000);
});
