import { Writable } from 'node:stream';
import { createRedis } from '@tickpulse/redis';
import { createLogger, metricTotal } from '@tickpulse/service-kit';
import { TEST_REDIS_URL, waitFor } from '@tickpulse/testkit';
import { createReconciler } from '../src/reconcile';
import {
  createNamespace,
  createTestDb,
  members,
  startReplica,
  testLogger,
  type TestDb,
  type TestNamespace,
  type TestReplica,
} from './helpers';

describe('reconcile fingerprints', () => {
  let db: TestDb;
  let ns: TestNamespace;
  let replica: TestReplica;

  beforeEach(async () => {
    db = await createTestDb();
    ns = createNamespace();
    replica = await startReplica({
      databaseUrl: db.url,
      keys: ns.keys,
      bullmqPrefix: ns.bullmqPrefix,
      queueName: ns.queueName,
      start: false,
    });
  });
  afterEach(async () => {
    await replica.stop();
    await ns.cleanup();
    await db.drop();
  });

  const reconciler = (fullCheckEvery: number) =>
    createReconciler({
      reader: replica.service.reader,
      store: replica.service.store,
      redis: replica.redis.reconcile,
      keys: ns.keys,
      metrics: replica.service.metrics,
      logger: testLogger(),
      pageSize: 2,
      fullCheckEvery,
    });

  it('reports the first run of a process at info and drift found later as a warning', async () => {
    const lines: { level: string; msg: string; drift: number }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    const run = () =>
      createReconciler({
        reader: replica.service.reader,
        store: replica.service.store,
        redis: replica.redis.reconcile,
        keys: ns.keys,
        metrics: replica.service.metrics,
        logger: createLogger({ service: 'test', destination: sink }),
        pageSize: 2,
      });
    const a = await db.insert(true, ['AAPL']);
    const reconciler = run();
    await reconciler.run();
    await ns.redis.del(ns.keys.stratUniv(a));
    await reconciler.run();
    await reconciler.run();
    const summaries = lines.filter(l => 'drift' in l);
    expect(summaries.map(l => [l.level, l.msg, l.drift])).toEqual([
      ['info', 'first reconcile brought Redis up to date with PostgreSQL', 1],
      ['warn', 'reconcile repaired drift between PostgreSQL and Redis', 1],
      ['info', 'reconcile found Redis in sync', 0],
    ]);
  });

  it('trusts a stored fingerprint only while SCARD and the row version match, and the full check catches a same-size swap', async () => {
    const { redis, keys } = ns;
    const a = await db.insert(true, ['AAPL', 'msft', 'AAPL']);
    const b = await db.insert(true, ['TSLA', 'BRK.A', 'BF-B', ' nvda ']);
    const g = await db.insert(true, [null, ' ']);
    const trust = reconciler(0);

    expect(await trust.run()).toMatchObject({ created: 2, compared: 3 });
    expect(await members(redis, keys, a)).toEqual(['AAPL', 'MSFT']);
    expect(await members(redis, keys, b)).toEqual([
      'BF-B',
      'BRK.A',
      'NVDA',
      'TSLA',
    ]);
    expect(await redis.hlen(keys.univFingerprints())).toBe(3);
    expect(await trust.run()).toMatchObject({
      unchanged: 2,
      trusted: 3,
      compared: 0,
    });

    // Edited behind tickpulse's back: an extra member, a lost member, a deleted key.
    await redis.sadd(keys.stratUniv(a), 'EXTRA');
    await redis.srem(keys.stratUniv(b), 'TSLA');
    expect(await trust.run()).toMatchObject({ replaced: 2, compared: 2 });
    expect(await members(redis, keys, a)).toEqual(['AAPL', 'MSFT']);
    expect(await members(redis, keys, b)).toHaveLength(4);
    await redis.del(keys.stratUniv(a));
    await redis.sadd(keys.stratUniv(g), 'STALE');
    expect(await trust.run()).toMatchObject({ created: 1, removed: 1 });
    expect(await redis.exists(keys.stratUniv(g))).toBe(0);

    // A row edited without a sync job (lost notification), same size: the row version differs.
    await db.update(a, true, ['AAPL', 'AMD']);
    expect(await trust.run()).toMatchObject({ replaced: 1, compared: 1 });
    expect(await members(redis, keys, a)).toEqual(['AAPL', 'AMD']);

    // A same-size swap keeps SCARD: trusted by the fingerprint alone (the
    // documented gap), caught by a run whose full-check slice holds it.
    await redis.srem(keys.stratUniv(a), 'AMD');
    await redis.sadd(keys.stratUniv(a), 'SWAP');
    expect(await trust.run()).toMatchObject({ replaced: 0, unchanged: 2 });
    expect(await reconciler(1).run()).toMatchObject({
      replaced: 1,
      trusted: 0,
      compared: 3,
    });
    expect(await members(redis, keys, a)).toEqual(['AAPL', 'AMD']);
    const every2 = reconciler(2);
    await redis.srem(keys.stratUniv(b), 'NVDA');
    await redis.sadd(keys.stratUniv(b), 'SWAP');
    const runs = [await every2.run(), await every2.run()];
    expect(runs.map(r => r.replaced).sort()).toEqual([0, 1]);
    expect(await members(redis, keys, b)).toContain('NVDA');
    expect(
      await metricTotal(
        replica.registry,
        'tickpulse_universe_reconcile_checks_total',
      ),
    ).toBeGreaterThan(0);
  });

  it('any write to the row, even one keeping the stored size or the universe, makes the next run compare it', async () => {
    const { redis, keys } = ns;
    const a = await db.insert(true, ['AAPL', 'AMD']);
    const trust = reconciler(0);
    await trust.run();
    expect(await trust.run()).toMatchObject({ trusted: 1, compared: 0 });

    // Same stored size (pg_column_size), other members: only xmin tells.
    await db.update(a, true, ['AAPL', 'IBM']);
    expect(await trust.run()).toMatchObject({ replaced: 1, compared: 1 });
    expect(await members(redis, keys, a)).toEqual(['AAPL', 'IBM']);
    // A write of the same universe is compared once, found equal, trusted again.
    await db.update(a, true, ['AAPL', 'IBM']);
    expect(await trust.run()).toMatchObject({ unchanged: 1, compared: 1 });
    expect(await trust.run()).toMatchObject({ trusted: 1, compared: 0 });
  });

  it('a row version that matches a stale fingerprint (reused transaction id) is repaired by the full-check slice', async () => {
    const { redis, keys } = ns;
    const a = await db.insert(true, ['AAPL', 'AMD']);
    await reconciler(0).run();
    await db.update(a, true, ['AAPL', 'IBM']);
    // What a reused xid on the same tuple slot would leave: the stored
    // fingerprint names the row's current version, Redis the old members.
    const version = (await replica.service.reader.digests([a])).get(a)!.digest;
    const stored = await redis.hget(keys.univFingerprints(), String(a));
    await redis.hset(
      keys.univFingerprints(),
      String(a),
      stored!.replace(/^(\d+):.*:(\d+)$/, `$1:${version}:$2`),
    );
    expect(await reconciler(0).run()).toMatchObject({
      trusted: 1,
      replaced: 0,
    });
    expect(await members(redis, keys, a)).toEqual(['AAPL', 'AMD']);
    expect(await reconciler(1).run()).toMatchObject({
      replaced: 1,
      compared: 1,
    });
    expect(await members(redis, keys, a)).toEqual(['AAPL', 'IBM']);
  });

  it('a sync job drops the fingerprint so the next reconcile compares members', async () => {
    const { redis, keys } = ns;
    const a = await db.insert(true, ['AAPL', 'MSFT']);
    const trust = reconciler(0);
    await trust.run();
    expect(await redis.hexists(keys.univFingerprints(), String(a))).toBe(1);
    await replica.service.start();
    await db.update(a, true, ['AAPL', 'AMD']);
    await replica.service.queue.add('strategy', {
      kind: 'strategy',
      strategyId: a,
      reason: 'test',
    });
    await waitFor(
      async () =>
        (await members(redis, keys, a)).join() === 'AAPL,AMD' &&
        (await redis.hexists(keys.univFingerprints(), String(a))) === 0,
      { timeoutMs: 20_000, what: 'sync job' },
    );
    expect(await trust.run()).toMatchObject({ compared: 1, unchanged: 1 });
  });

  it('odd characters in the array survive the JSON read: invalid ones are reported, valid ones written', async () => {
    const a = await db.insert(true, [
      'AAPL',
      'a"b',
      'C,D',
      'E\\F',
      '{G}',
      'NULL',
      'x y',
      null,
      'ÄPFEL',
    ]);
    const s = await reconciler(4).run();
    expect(s).toMatchObject({ created: 1, invalidTickers: 6 });
    expect(await members(ns.redis, ns.keys, a)).toEqual(['AAPL', 'NULL']);
  });
});

describe('reconcile connection', () => {
  it('does not resend an in-flight command after a reconnect (an EXEC would lose its WATCH)', async () => {
    const ns = createNamespace();
    const conn = createRedis(TEST_REDIS_URL, {
      role: 'producer',
      logger: testLogger(),
      name: 'test-reconcile-resend',
    });
    try {
      await new Promise<void>(r =>
        conn.status === 'ready' ? r() : conn.once('ready', () => r()),
      );
      createReconciler({
        reader: {} as never,
        store: {} as never,
        redis: conn,
        keys: ns.keys,
        metrics: {} as never,
        logger: testLogger(),
        pageSize: 10,
      });
      const list = `${ns.prefix}resend`;
      const id = await conn.client('ID');
      // ioredis drops (never settles) an unresent command; the reconciler
      // races its batches against the connection's close event for that.
      void conn.blpop(list, 30).catch(() => undefined);
      await waitFor(
        async () =>
          (
            (await ns.redis.client('LIST', 'ID', String(id))) as string
          ).includes('cmd=blpop'),
        { timeoutMs: 10_000, what: 'blpop in flight' },
      );
      await ns.redis.client('KILL', 'ID', String(id));
      await waitFor(() => conn.status !== 'ready', {
        timeoutMs: 10_000,
        what: 'disconnect',
      });
      await waitFor(() => conn.status === 'ready', {
        timeoutMs: 20_000,
        what: 'reconnect',
      });
      await ns.redis.lpush(list, 'kept');
      // A resent BLPOP would have taken the element.
      await new Promise(r => setTimeout(r, 200));
      expect(await ns.redis.lrange(list, 0, -1)).toEqual(['kept']);
    } finally {
      conn.disconnect();
      await ns.cleanup();
    }
  });
});
