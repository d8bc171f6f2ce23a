/**
 * Issue 18 item 2: after Redis loses its data (FLUSHALL; a SIGKILL restart
 * without persistence) universe-sync notices within one check, re-creates its
 * reconcile scheduler and reconciles at once, so every universe equals
 * PostgreSQL again and the schedule keeps firing. A private redis-server
 * (no persistence), a private PostgreSQL schema.
 */
import { createKeys } from '@tickpulse/contracts';
import { DATA_LOSS_CHECK_MS, DATA_LOSS_METRIC } from '@tickpulse/redis';
import { metricTotal } from '@tickpulse/service-kit';
import {
  startPrivateRedis,
  testRedis,
  uniqueName,
  uniquePrefix,
  waitFor,
  type PrivateRedis,
} from '@tickpulse/testkit';
import type { Redis } from 'ioredis';
import { RECONCILE_SCHEDULER_ID } from '../src/service';
import {
  createTestDb,
  members,
  startReplica,
  type TestDb,
  type TestReplica,
} from './helpers';

jest.setTimeout(180_000);

/** The bound with default settings. */
const RECOVERY_BUDGET_MS = 30_000;
const RECONCILE_EVERY_MS = 3000;

describe('universe-sync after Redis lost its data', () => {
  let server: PrivateRedis;
  let db: TestDb;
  let replica: TestReplica;
  let admin: Redis;
  const keys = createKeys(uniquePrefix('loss'));
  const expected = new Map<number, string[]>();

  beforeAll(async () => {
    server = await startPrivateRedis();
    admin = testRedis(server.url);
    db = await createTestDb();
    for (let i = 0; i < 6; i++) {
      const universe = [`L${i}A`, `L${i}B`, `L${i}C`];
      const active = i !== 5;
      const id = await db.insert(active, universe);
      expected.set(id, active ? [...universe].sort() : []);
    }
    replica = await startReplica({
      databaseUrl: db.url,
      keys,
      bullmqPrefix: uniqueName('bull-loss'),
      queueName: 'universe-sync',
      redisUrl: server.url,
      settings: {
        reconcileOnStart: true,
        reconcileIntervalMs: RECONCILE_EVERY_MS,
      },
    });
    await waitFor(universesMatch, { what: 'the start-up reconcile' });
  });

  afterAll(async () => {
    await replica?.stop();
    admin?.disconnect();
    await db?.drop();
    await server?.stop();
  });

  async function universesMatch(): Promise<boolean> {
    for (const [id, want] of expected) {
      const got = await members(admin, keys, id);
      if (got.join() !== want.join()) return false;
    }
    return true;
  }

  const lossEvents = () => metricTotal(replica.registry, DATA_LOSS_METRIC);
  const scheduledRuns = () =>
    metricTotal(replica.registry, 'tickpulse_universe_reconcile_runs_total');

  async function expectRecovered(events: number) {
    await waitFor(async () => (await lossEvents()) >= events, {
      timeoutMs: RECOVERY_BUDGET_MS,
      what: 'the data loss noticed',
    });
    await waitFor(universesMatch, {
      timeoutMs: RECOVERY_BUDGET_MS,
      what: 'universes equal PostgreSQL again',
    });
    const scheduler = await replica.service.queue.getJobScheduler(
      RECONCILE_SCHEDULER_ID,
    );
    expect(scheduler?.every).toBe(RECONCILE_EVERY_MS);
    // The schedule fires again: two more reconcile runs after the recovery.
    const runs = await scheduledRuns();
    await waitFor(async () => (await scheduledRuns()) >= runs + 2, {
      timeoutMs: 6 * RECONCILE_EVERY_MS + 10_000,
      what: 'scheduled reconciles after the recovery',
    });
    expect(await lossEvents()).toBe(events);
  }

  it('checks every 5 s by default (well inside the 30 s budget)', () => {
    expect(DATA_LOSS_CHECK_MS).toBe(5000);
  });

  it('recovers from FLUSHALL', async () => {
    expect(await lossEvents()).toBe(0);
    await admin.flushall();
    expect(await admin.exists(keys.stratUniv([...expected.keys()][0]!))).toBe(
      0,
    );
    await expectRecovered(1);
  });

  it('recovers from a SIGKILL restart without persistence', async () => {
    await server.restart();
    await expectRecovered(2);
  });
});
