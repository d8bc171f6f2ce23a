import { createLease } from '@tickpulse/redis';
import { startPrivateRedis, waitFor } from '@tickpulse/testkit';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createLeaderElector } from '../src/leader';
import { createIngestMetrics } from '../src/metrics';
import { logger } from './helpers';

describe('a standby whose Redis refuses the lease (real redis-server)', () => {
  it('says it cannot lead on a read-only replica, and recovers on the master', async () => {
    const master = await startPrivateRedis();
    const replica = await startPrivateRedis([
      '--replicaof',
      '127.0.0.1',
      String(new URL(master.url).port),
    ]);
    const onReplica = new Redis(replica.url, { protocol: 2 });
    const onMaster = new Redis(master.url, { protocol: 2 });
    const elector = (redis: Redis) =>
      createLeaderElector({
        lease: createLease(redis, 'TICKPULSE:LEASE:ingest', 3000),
        ttlMs: 3000,
        pollMs: 50,
        logger,
        metrics: createIngestMetrics(new Registry(), {
          size: 0,
          known: 0,
          refused: 0,
        }),
        onElected: () => undefined,
        onDemoted: () => undefined,
      });
    const stuck = elector(onReplica);
    const fine = elector(onMaster);
    try {
      stuck.start();
      await waitFor(() => stuck.cannotLead !== null, {
        what: 'the refused lease noticed',
      });
      expect(stuck.cannotLead).toMatch(/^READONLY/);
      expect(stuck.isLeader).toBe(false);
      fine.start();
      await waitFor(() => fine.isLeader, { what: 'the master lease taken' });
      expect(fine.cannotLead).toBeNull();
    } finally {
      stuck.stop();
      fine.stop();
      await fine.release();
      onReplica.disconnect();
      onMaster.disconnect();
      await replica.stop();
      await master.stop();
    }
  });
});
