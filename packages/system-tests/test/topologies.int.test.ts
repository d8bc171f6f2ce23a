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
import { createKeys, QUEUE_NAMES } from '@tickpulse/contracts';
import { masterNodes, type RedisClient } from '@tickpulse/redis';
import {
  startRedisCluster,
  startRedisSentinel,
  uniqueName,
  waitFor,
  type TestRedisSentinel,
} from '@tickpulse/testkit';
import { Queue } from 'bullmq';
import { createSystem, type AppProcess, type System } from '../src/harness';
import { scriptFrames, type ScriptedTrade } from '../src/oracle';
import {
  createTickPathCheck,
  type TickPathCheck,
} from '../src/tick-path-check';

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
      check = createTickPathCheck({
        sim,
        ingest,
        redis,
        tickUpdKey: keys.tickUpd(),
        queue,
      });
    }, 120_000);

    afterAll(async () => {
      await system?.killAll();
      await queue?.close().catch(() => undefined);
      redis?.disconnect();
      await sim?.close();
      await stopServers?.();
    });

    let check: TickPathCheck;
    const send = (frames: ScriptedTrade[][]) => check.send(frames);
    const allReceived = () => check.allReceived();
    const expectExact = async () => {
      const { got, want } = await check.settled();
      expect(got).toEqual(want);
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
      expect(check.oracle.expected.size).toBeGreaterThan(100);
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
