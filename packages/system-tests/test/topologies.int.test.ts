/**
 * The tick path end to end on Redis Cluster and on Sentinel, with real app
 * processes: polygon-sim (in process) → `apps/ingest/dist/main.js` → BullMQ
 * `ticks` → `apps/tick-writer/dist/main.js` → TICK:UPD, compared with the
 * oracle computed from the frames sent (src/oracle.ts).
 *
 * The apps get only the topology variables (`REDIS_CLUSTER_NODES`, or
 * `REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`) and the production key names
 * (no REDIS_KEY_PREFIX: the servers are private to this file). On each the
 * master holding TICK:UPD is killed mid-stream: the replica is promoted
 * (by the sentinels, or by the cluster itself; the cluster runs 3 masters
 * with a replica each), both apps reconnect, and TICK:UPD ends exact. Trades are sent
 * around the failover only after the previous ones are written and
 * replicated (`WAIT`); what asynchronous replication can lose in the last
 * moments before a crash is the gap healing's and ZADD GT's to make up.
 */
import { createPolygonSim, type PolygonSim } from '@tickpulse/polygon-sim';
import {
  createKeys,
  masterNodes,
  QUEUE_NAMES,
  type RedisClient,
} from '@tickpulse/shared';
import {
  startRedisCluster,
  startRedisSentinel,
  uniqueName,
  waitFor,
  type TestRedisSentinel,
} from '@tickpulse/testkit';
import { Queue } from 'bullmq';
import { createSystem, type AppProcess, type System } from '../src/harness';
import { scriptFrames, TickOracle, type ScriptedTrade } from '../src/oracle';

jest.setTimeout(240_000);

const keys = createKeys('');

describe.each(['cluster', 'sentinel'] as const)(
  'tick path end to end on %s',
  kind => {
    let stopServers: () => Promise<void>;
    let sentinel: TestRedisSentinel | undefined;
    let failover: () => Promise<unknown>;
    let redis: RedisClient;
    let sim: PolygonSim;
    let system: System;
    let ingest: AppProcess;
    let queue: Queue;
    const bullPrefix =
      kind === 'cluster' ? `{${uniqueName('e2e')}}` : uniqueName('e2e');
    const oracle = new TickOracle();
    let tradesSent = 0;
    const tickers = Array.from({ length: 300 }, (_, i) => `TOP${i}`);

    beforeAll(async () => {
      let env: Record<string, string>;
      if (kind === 'cluster') {
        const c = await startRedisCluster({ replicas: 1 });
        env = c.env;
        redis = c.client();
        stopServers = () => c.stop();
        failover = () => c.failover(keys.tickUpd());
      } else {
        sentinel = await startRedisSentinel();
        env = sentinel.env;
        redis = sentinel.client();
        stopServers = () => sentinel!.stop();
        failover = () => sentinel!.failover();
      }
      sim = createPolygonSim({ rate: 0 });
      await sim.listen(0);
      system = createSystem({ ...env, BULLMQ_PREFIX: bullPrefix });
      ingest = await system.add('ingest', 'ingest', {
        POLYGON_WS_URL: sim.url(),
        FLUSH_INTERVAL_MS: '50',
        PUBLISH_TIMEOUT_MS: '1000',
        // Longer than the failover: the leader keeps its socket.
        LEASE_TTL_MS: '60000',
        LEASE_POLL_MS: '250',
        RECONNECT_MIN_MS: '100',
        RECONNECT_MAX_MS: '1000',
        TRADE_FUTURE_TOLERANCE_MS: '10000',
      });
      const writer = await system.add('tick-writer', 'tick-writer', {
        TICK_WRITER_LOCK_DURATION_MS: '1000',
        TICK_WRITER_STALLED_INTERVAL_MS: '500',
      });
      await writer.start();
      await ingest.start();
      await waitFor(() => sim.stats().subscribed === 1, {
        timeoutMs: 30_000,
        what: 'ingest subscribed',
      });
      queue = new Queue(QUEUE_NAMES.ticks, {
        connection: redis,
        prefix: bullPrefix,
      });
      queue.on('error', () => undefined);
    }, 120_000);

    afterAll(async () => {
      await system?.killAll();
      await queue?.close().catch(() => undefined);
      redis?.disconnect();
      await sim?.close();
      await stopServers?.();
    });

    const send = (frames: ScriptedTrade[][]) => {
      for (const f of frames) {
        oracle.add(f);
        tradesSent += f.length;
        expect(sim.sendFrames([f])).toBe(1);
      }
    };
    const allReceived = () =>
      waitFor(
        async () =>
          (await ingest.metric('tickpulse_ingest_trades_received_total')) ===
          tradesSent,
        { timeoutMs: 60_000, what: `ingest received ${tradesSent} trades` },
      );
    const tickUpd = async () => {
      const flat = await redis.zrange(keys.tickUpd(), '0', '-1', 'WITHSCORES');
      const m = new Map<string, number>();
      for (let i = 0; i < flat.length; i += 2)
        m.set(flat[i]!, Number(flat[i + 1]));
      return m;
    };
    const expectExact = async () => {
      await waitFor(
        async () => {
          const c = await queue.getJobCounts('wait', 'active', 'delayed');
          if (Object.values(c).some(n => n > 0)) return false;
          const got = await tickUpd();
          if (got.size !== oracle.expected.size) return false;
          for (const [t, ms] of oracle.expected)
            if (got.get(t) !== ms) return false;
          return true;
        },
        { timeoutMs: 120_000, intervalMs: 200, what: 'TICK:UPD = oracle' },
      ).catch(() => undefined);
      expect(Object.fromEntries(await tickUpd())).toEqual(
        Object.fromEntries(oracle.expected),
      );
    };
    const frames = (seed: number) =>
      scriptFrames({
        tickers,
        frames: 20,
        perFrame: 100,
        nowMs: Date.now(),
        spanMs: 300_000,
        seed,
      });

    it('writes exactly the newest eligible trade per ticker', async () => {
      send(frames(1));
      await allReceived();
      await expectExact();
      expect(oracle.expected.size).toBeGreaterThan(100);
      if (kind === 'cluster') {
        // TICK:UPD and the queue's keys live on the nodes their slots say.
        const owners = await Promise.all(
          (await masterNodes(redis)).map(async n => ({
            tick: await n.exists(keys.tickUpd()).catch(() => 0),
          })),
        );
        expect(owners.filter(o => o.tick === 1)).toHaveLength(1);
      }
      expect(await queue.getFailedCount()).toBe(0);
    });

    it('ends exact after the master holding TICK:UPD is killed and its replica promoted', async () => {
      send(frames(2));
      await allReceived();
      await expectExact();
      // Written and replicated before the kill (WAIT on TICK:UPD's master).
      for (const n of await masterNodes(redis))
        // A node that does not own the slot answers MOVED.
        if ((await n.exists(keys.tickUpd()).catch(() => 0)) === 1)
          expect(await n.wait(1, 5000)).toBe(1);
      await failover();
      send(frames(3));
      await allReceived();
      await expectExact();
      expect(system.unexpectedExits()).toEqual([]);
    });
  },
);
