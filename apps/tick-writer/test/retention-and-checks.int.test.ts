import {
  deletePrefix,
  startPrivateRedis,
  TEST_REDIS_URL,
  testRedis,
  waitFor,
} from '@tickpulse/testkit';
import { createKeys } from '@tickpulse/contracts';
import { createLease } from '@tickpulse/redis';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { MAINTENANCE_QUEUE, RETENTION_SCHEDULER_ID } from '../src/retention';
import { UnsupportedRedisError } from '../src/startup-checks';
import { readTickUpd, seriesValue, startWriter } from './helpers';

const DAY = 86_400_000;

describe('TICK:UPD retention', () => {
  let admin: Redis;
  beforeAll(() => {
    admin = testRedis();
  });
  afterAll(() => admin.quit());

  async function cleanup(h: {
    keyPrefix: string;
    bullPrefix: string;
    close(): Promise<void>;
  }) {
    await h.close();
    await deletePrefix(admin, h.keyPrefix);
    await deletePrefix(admin, `${h.bullPrefix}:`);
  }

  it('removes only members older than the cutoff when run directly', async () => {
    // Not started: no scheduler, only the processor run directly.
    const h = await startWriter({
      url: TEST_REDIS_URL,
      env: { TICK_RETENTION_DAYS: '90' },
      start: false,
    });
    try {
      const now = Date.now();
      await h.writer.store.markUpdated([
        ['OLD', now - 91 * DAY],
        ['ANCIENT', 1_000_000_000_000],
        ['EDGE', now - 89 * DAY],
        ['NEW', now],
      ]);
      const r = await h.writer.runRetention();
      expect(r.removed).toBe(2);
      expect(r.cutoffMs).toBeGreaterThanOrEqual(now - 90 * DAY);
      expect(Object.keys(await readTickUpd(admin, h.keyPrefix)).sort()).toEqual(
        ['EDGE', 'NEW'],
      );
      expect(
        await seriesValue(
          h.registry,
          'tickpulse_tick_writer_retention_removed_total',
          {},
        ),
      ).toBe(2);
      expect(
        await seriesValue(
          h.registry,
          'tickpulse_tick_writer_retention_runs_total',
          { result: 'ok' },
        ),
      ).toBe(1);
    } finally {
      await cleanup(h);
    }
  });

  it('keeps a member exactly at the cutoff (the cutoff is exclusive)', async () => {
    // An injected clock pins the cutoff to the millisecond.
    const h = await startWriter({
      url: TEST_REDIS_URL,
      env: { TICK_RETENTION_DAYS: '1' },
      start: false,
    });
    try {
      const now = Date.now();
      await h.writer.store.markUpdated([
        ['AT', now - DAY - 5000],
        ['BELOW', now - DAY - 5001],
      ]);
      // The clock only moves forward, so allow the few ms between now and the run.
      const r = await h.writer.runRetention();
      expect(r.cutoffMs).toBeGreaterThanOrEqual(now - DAY);
      expect(await readTickUpd(admin, h.keyPrefix)).toEqual({});
      await h.writer.store.markUpdated([
        ['EXACT', r.cutoffMs],
        ['BEFORE', r.cutoffMs - 1],
      ]);
      await h.writer.store.removeOlderThan(r.cutoffMs);
      expect(await readTickUpd(admin, h.keyPrefix)).toEqual({
        EXACT: r.cutoffMs,
      });
    } finally {
      await cleanup(h);
    }
  });

  it('runs on the job scheduler exactly once per interval with two replicas, and upserting at every start is idempotent', async () => {
    const everyMs = 700;
    const env = {
      TICK_RETENTION_DAYS: '90',
      TICK_RETENTION_INTERVAL: `${everyMs}ms`,
    };
    const a = await startWriter({ url: TEST_REDIS_URL, env, start: false });
    const now = Date.now();
    await a.writer.store.markUpdated([
      ['OLD', now - 100 * DAY],
      ['NEW', now],
    ]);
    const qConn = admin.duplicate();
    const q = new Queue(MAINTENANCE_QUEUE, {
      connection: qConn,
      prefix: a.bullPrefix,
    });
    // Every completed retention job, by id: `repeat:<scheduler>:<slot ms>`.
    const eventsConn = admin.duplicate({ maxRetriesPerRequest: null });
    const events = new QueueEvents(MAINTENANCE_QUEUE, {
      connection: eventsConn,
      prefix: a.bullPrefix,
    });
    const completed: string[] = [];
    events.on('completed', ({ jobId }) => void completed.push(jobId));
    await events.waitUntilReady();
    await a.writer.start();
    // A second replica on the same queues and keys.
    const b = await startWriter({
      url: TEST_REDIS_URL,
      env,
      keyPrefix: a.keyPrefix,
      bullPrefix: a.bullPrefix,
    });
    const runs = async () =>
      (await seriesValue(
        a.registry,
        'tickpulse_tick_writer_retention_runs_total',
        { result: 'ok' },
      )) +
      (await seriesValue(
        b.registry,
        'tickpulse_tick_writer_retention_runs_total',
        { result: 'ok' },
      ));
    try {
      await waitFor(
        async () => (await readTickUpd(admin, a.keyPrefix)).OLD === undefined,
        {
          timeoutMs: 20_000,
          what: 'scheduled retention removed OLD',
        },
      );
      expect(await readTickUpd(admin, a.keyPrefix)).toEqual({ NEW: now });
      const schedulers = await q.getJobSchedulers(0, 10);
      expect(schedulers.map(s => s.key)).toEqual([RETENTION_SCHEDULER_ID]);
      expect(schedulers[0]!.every).toBe(everyMs);
      await waitFor(async () => (await runs()) >= 5, {
        timeoutMs: 30_000,
        what: 'five runs',
      });
      // Stop both, then account for every run: each one is a distinct
      // scheduled slot, taken by exactly one replica.
      await b.writer.stop();
      await a.writer.stop();
      const total = await runs();
      await waitFor(() => completed.length >= total, {
        timeoutMs: 10_000,
        what: 'completion events of every run',
      });
      expect(completed).toHaveLength(total);
      expect(new Set(completed).size).toBe(total);
      const slots = completed
        .map(id => {
          const m = new RegExp(
            `^repeat:${RETENTION_SCHEDULER_ID}:(\\d+)$`,
          ).exec(id);
          expect({ id, scheduled: !!m }).toEqual({ id, scheduled: true });
          return Number(m![1]);
        })
        .sort((x, y) => x - y);
      // One run per interval slot: never two in the same interval.
      for (let i = 1; i < slots.length; i++) {
        const gap = slots[i]! - slots[i - 1]!;
        expect({ gap, multiple: gap > 0 && gap % everyMs === 0 }).toEqual({
          gap,
          multiple: true,
        });
      }
      const removed =
        (await seriesValue(
          a.registry,
          'tickpulse_tick_writer_retention_removed_total',
          {},
        )) +
        (await seriesValue(
          b.registry,
          'tickpulse_tick_writer_retention_removed_total',
          {},
        ));
      expect(removed).toBe(1);
      const counts = await q.getJobCounts('delayed', 'active', 'wait');
      expect(
        (counts.delayed ?? 0) + (counts.active ?? 0) + (counts.wait ?? 0),
      ).toBeLessThanOrEqual(1);
    } finally {
      await events.close();
      eventsConn.disconnect();
      await b.close();
      await cleanup(a);
      await q.close();
      await qConn.quit().catch(() => undefined);
    }
  });
});

describe('start-up checks', () => {
  it('warns loudly and exports the gauge when Redis may evict keys (allkeys-lru)', async () => {
    const redis = await startPrivateRedis([
      '--maxmemory-policy',
      'allkeys-lru',
    ]);
    const h = await startWriter({ url: redis.url });
    try {
      // testkit passes `--maxmemory-policy noeviction` first; the later argument wins.
      expect(await h.redis.config('GET', 'maxmemory-policy')).toEqual([
        'maxmemory-policy',
        'allkeys-lru',
      ]);
      expect(h.writer.assessment?.checks).toEqual({
        version: 1,
        eviction_policy: 0,
      });
      expect(
        await seriesValue(h.registry, 'tickpulse_tick_writer_redis_check', {
          check: 'eviction_policy',
        }),
      ).toBe(0);
      const warn = h.lines.find(
        l => l.level === 'warn' && String(l.msg).includes('allkeys-lru'),
      );
      expect(warn?.msg).toContain('REDIS CONFIGURATION RISK');
      expect((await h.writer.readiness()).worker?.ok).toBe(true);
    } finally {
      await h.close();
      await redis.stop();
    }
  });

  it('warns on volatile-lru, which really evicts the ingest lease under memory pressure', async () => {
    const redis = await startPrivateRedis([
      '--maxmemory-policy',
      'volatile-lru',
      '--maxmemory',
      '8mb',
    ]);
    const h = await startWriter({ url: redis.url });
    const client = testRedis(redis.url);
    try {
      expect(h.writer.assessment?.checks.eviction_policy).toBe(0);
      const warn = h.lines.find(
        l => l.level === 'warn' && String(l.msg).includes('volatile-lru'),
      );
      expect(warn?.msg).toContain('TICKPULSE:LEASE:ingest');
      // What the warning claims: a lease (it has a TTL) goes before keys without one.
      const leaseKey = createKeys(h.keyPrefix).lease('ingest');
      const lease = createLease(client, leaseKey, 60_000);
      expect(await lease.acquire()).toBe(true);
      const filler = 'x'.repeat(10_000);
      let oom = false;
      for (let i = 0; i < 2000 && !oom; i++) {
        await client
          .set(`${h.keyPrefix}fill:${i}`, filler)
          .catch((err: Error) => {
            oom = /OOM/.test(err.message);
          });
      }
      expect(oom).toBe(true);
      expect(await lease.holder()).toBeNull();
      // A standby would now take it while the leader still believes it holds it.
      const standby = createLease(client, leaseKey, 60_000);
      expect(await standby.acquire()).toBe(true);
    } finally {
      client.disconnect();
      await h.close();
      await redis.stop();
    }
  });

  it('passes a noeviction Redis without warnings', async () => {
    const h = await startWriter({ url: TEST_REDIS_URL });
    try {
      expect(h.writer.assessment?.warnings).toEqual([]);
      expect(
        await seriesValue(h.registry, 'tickpulse_tick_writer_redis_check', {
          check: 'eviction_policy',
        }),
      ).toBe(1);
    } finally {
      await h.close();
    }
  });

  it('refuses to start on a Redis older than 6.2 and consumes nothing', async () => {
    const h = await startWriter({
      url: TEST_REDIS_URL,
      start: false,
      inspectRedis: async () => ({
        version: '6.0.16',
        supportsZaddGt: false,
        maxmemoryPolicy: 'noeviction',
        evictionSafe: true,
      }),
    });
    try {
      await expect(h.writer.start()).rejects.toBeInstanceOf(
        UnsupportedRedisError,
      );
      await expect(h.writer.start()).rejects.toThrow(
        /6\.0\.16 is older than 6\.2/,
      );
      expect((await h.writer.readiness()).worker?.ok).toBe(false);
      expect(await h.redis.keys(`${h.bullPrefix}:*`)).toEqual([]);
      expect(
        await seriesValue(h.registry, 'tickpulse_tick_writer_redis_check', {
          check: 'version',
        }),
      ).toBe(0);
    } finally {
      await h.close();
    }
  });
});
