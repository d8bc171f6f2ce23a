/**
 * Issue 18 item 2: the retention scheduler lives in Redis, created at start.
 * After Redis lost its data (FLUSHALL; a SIGKILL restart without persistence)
 * tick-writer notices within one check and re-creates it, so retention keeps
 * running; batches keep being written. A private redis-server.
 */
import { publishTickBatch, QUEUE_NAMES } from '@tickpulse/contracts';
import { DATA_LOSS_METRIC } from '@tickpulse/redis';
import { metricTotal } from '@tickpulse/service-kit';
import {
  startPrivateRedis,
  testRedis,
  waitFor,
  type PrivateRedis,
} from '@tickpulse/testkit';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { MAINTENANCE_QUEUE, RETENTION_SCHEDULER_ID } from '../src/retention';
import { startWriter, type WriterHarness } from './helpers';

jest.setTimeout(180_000);

describe('tick-writer after Redis lost its data', () => {
  let server: PrivateRedis;
  let harness: WriterHarness;
  let admin: Redis;
  let maintenance: Queue;
  let ticks: Queue;

  beforeAll(async () => {
    server = await startPrivateRedis();
    admin = testRedis(server.url);
    harness = await startWriter({
      url: server.url,
      env: { TICK_RETENTION_INTERVAL: '1s' },
    });
    // On admin's connection: BullMQ does not close a connection it was given.
    maintenance = new Queue(MAINTENANCE_QUEUE, {
      connection: admin,
      prefix: harness.bullPrefix,
    });
    ticks = new Queue(QUEUE_NAMES.ticks, {
      connection: admin,
      prefix: harness.bullPrefix,
    });
    for (const q of [maintenance, ticks]) q.on('error', () => undefined);
  });

  afterAll(async () => {
    await harness?.close();
    await Promise.allSettled([maintenance?.close(), ticks?.close()]);
    admin?.disconnect();
    await server?.stop();
  });

  const retentionRuns = () =>
    metricTotal(harness.registry, 'tickpulse_tick_writer_retention_runs_total');
  const lossEvents = () => metricTotal(harness.registry, DATA_LOSS_METRIC);

  async function expectRecovered(events: number) {
    await waitFor(async () => (await lossEvents()) >= events, {
      timeoutMs: 30_000,
      what: 'the data loss noticed',
    });
    await waitFor(
      async () =>
        (await maintenance.getJobScheduler(RETENTION_SCHEDULER_ID))?.every ===
        1000,
      { timeoutMs: 30_000, what: 'the retention scheduler re-created' },
    );
    const runs = await retentionRuns();
    await waitFor(async () => (await retentionRuns()) >= runs + 2, {
      timeoutMs: 30_000,
      what: 'retention runs after the recovery',
    });
    const now = Date.now();
    await publishTickBatch(ticks, { LOSS: now });
    await waitFor(
      async () =>
        (await admin.zscore(`${harness.keyPrefix}TICK:UPD`, 'LOSS')) ===
        String(now),
      { timeoutMs: 30_000, what: 'a batch written after the recovery' },
    );
    expect(await lossEvents()).toBe(events);
  }

  it('re-creates the retention scheduler after FLUSHALL', async () => {
    await waitFor(async () => (await retentionRuns()) >= 1, {
      what: 'a first retention run',
    });
    await admin.flushall();
    expect(
      await maintenance.getJobScheduler(RETENTION_SCHEDULER_ID),
    ).toBeUndefined();
    await expectRecovered(1);
  });

  it('re-creates it after a SIGKILL restart without persistence', async () => {
    await server.restart();
    await expectRecovered(2);
  });
});
