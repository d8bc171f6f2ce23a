import { createLogger, metricTotal } from '@tickpulse/service-kit';
import type { Registry } from 'prom-client';
import { inspectTrigger, migrate } from '../src/migrations';
import { waitFor } from '@tickpulse/testkit';
import { randomBytes } from 'node:crypto';
import {
  createNamespace,
  createTestDb,
  members,
  startPgProxy,
  startReplica,
} from './helpers';

describe('LISTEN/NOTIFY', () => {
  it('syncs inserts, edits and deletes from the trigger, and reconnects after the connection drops', async () => {
    const channel = `tp_test_${randomBytes(4).toString('hex')}`;
    const db = await createTestDb({ trigger: true, channel });
    const ns = createNamespace();
    const proxy = await startPgProxy();
    const replica = await startReplica({
      databaseUrl: db.url,
      keys: ns.keys,
      bullmqPrefix: ns.bullmqPrefix,
      queueName: ns.queueName,
      settings: {
        listen: true,
        notifyChannel: channel,
        listenBackoffMs: () => 100,
        databaseUrl: proxy.url(db.schema),
      },
    });
    const listening = () => replica.service.listener!.isListening();
    const has = (id: number, want: string) => async () =>
      (await members(ns.redis, ns.keys, id)).join() === want;
    try {
      await waitFor(listening, { what: 'LISTEN up' });
      const id = await db.insert(true, ['AAPL']);
      await waitFor(has(id, 'AAPL'), {
        timeoutMs: 20_000,
        what: 'insert synced',
      });
      await db.update(id, true, ['MSFT', 'NVDA']);
      await waitFor(has(id, 'MSFT,NVDA'), {
        timeoutMs: 20_000,
        what: 'edit synced',
      });
      await db.remove(id);
      await waitFor(has(id, ''), { timeoutMs: 20_000, what: 'delete synced' });

      proxy.cut();
      await waitFor(() => !listening(), { what: 'LISTEN down' });
      proxy.restore();
      await waitFor(listening, { timeoutMs: 20_000, what: 'LISTEN back' });
      const after = await db.insert(true, ['TSLA']);
      await waitFor(has(after, 'TSLA'), {
        timeoutMs: 20_000,
        what: 'insert after reconnect synced',
      });
      // Notifications sent while it was away are lost: the reconnect asks for a reconcile.
      await waitFor(
        async () =>
          (await metricTotal(
            replica.registry,
            'tickpulse_universe_reconcile_runs_total',
          )) >= 1,
        { timeoutMs: 20_000, what: 'reconcile after reconnect' },
      );
      expect(
        await metricTotal(
          replica.registry,
          'tickpulse_universe_notifications_total',
        ),
      ).toBeGreaterThanOrEqual(4);
    } finally {
      await replica.stop();
      await proxy.close();
      await ns.cleanup();
      await db.drop();
    }
  });

  const triggerGauge = async (registry: Registry) => {
    const m = registry.getSingleMetric('tickpulse_universe_notify_trigger')!;
    const { values } = await m.get();
    return values.filter(v => v.value === 1).map(v => v.labels.state);
  };

  it('stays off and says so while the trigger is absent, and starts listening once it is installed', async () => {
    const channel = `tp_test_${randomBytes(4).toString('hex')}`;
    const db = await createTestDb({ trigger: false });
    const ns = createNamespace();
    const replica = await startReplica({
      databaseUrl: db.url,
      keys: ns.keys,
      bullmqPrefix: ns.bullmqPrefix,
      queueName: ns.queueName,
      settings: {
        listen: true,
        notifyChannel: channel,
        listenBackoffMs: () => 100,
        triggerRecheckMs: 200,
      },
    });
    try {
      expect(await triggerGauge(replica.registry)).toEqual(['missing']);
      const checks = await replica.service.readiness();
      expect(checks.listen).toEqual({
        ok: true,
        detail: `off: notify trigger missing for channel ${channel} (run migrate); changes arrive through the API and the reconcile`,
      });
      expect(replica.service.listener!.isListening()).toBe(false);

      // Installed for another channel: still off, and named as such.
      const c = await db.pool.connect();
      try {
        await migrate(c, {
          schema: false,
          trigger: true,
          uninstall: false,
          channel: 'tp_elsewhere',
        });
        await waitFor(
          async () =>
            (await triggerGauge(replica.registry)).join() === 'other_channel',
          {
            what: 'other_channel seen',
          },
        );
        expect(replica.service.listener!.isListening()).toBe(false);
        await migrate(c, {
          schema: false,
          trigger: true,
          uninstall: false,
          channel,
        });
      } finally {
        c.release();
      }
      await waitFor(() => replica.service.listener!.isListening(), {
        timeoutMs: 20_000,
        what: 'LISTEN up after migrate',
      });
      expect(await triggerGauge(replica.registry)).toEqual(['installed']);
      expect((await replica.service.readiness()).listen).toEqual({ ok: true });
      const id = await db.insert(true, ['AAPL']);
      await waitFor(
        async () => (await members(ns.redis, ns.keys, id)).join() === 'AAPL',
        {
          timeoutMs: 20_000,
          what: 'notified insert synced',
        },
      );
    } finally {
      await replica.stop();
      await ns.cleanup();
      await db.drop();
    }
  });

  it('inspectTrigger tells missing, installed, another channel and disabled apart', async () => {
    const db = await createTestDb({ trigger: false });
    const c = await db.pool.connect();
    try {
      expect(await inspectTrigger(c, 'tp_a')).toBe('missing');
      await migrate(c, {
        schema: false,
        trigger: true,
        uninstall: false,
        channel: 'tp_a',
      });
      expect(await inspectTrigger(c, 'tp_a')).toBe('installed');
      expect(await inspectTrigger(c, 'tp_b')).toBe('other_channel');
      await c.query(
        'ALTER TABLE strategies DISABLE TRIGGER tickpulse_strategies_notify',
      );
      expect(await inspectTrigger(c, 'tp_a')).toBe('disabled');
      await migrate(c, {
        schema: false,
        trigger: false,
        uninstall: true,
        channel: 'tp_a',
      });
      expect(await inspectTrigger(c, 'tp_a')).toBe('missing');
    } finally {
      c.release();
      await db.drop();
    }
  });

  it('ignores notifications whose payload is not a canonical strategy id', async () => {
    const channel = `tp_test_${randomBytes(4).toString('hex')}`;
    const db = await createTestDb({ trigger: true, channel });
    const ns = createNamespace();
    const replica = await startReplica({
      databaseUrl: db.url,
      keys: ns.keys,
      bullmqPrefix: ns.bullmqPrefix,
      queueName: ns.queueName,
      settings: { listen: true, notifyChannel: channel },
    });
    const result = async (r: string) =>
      (
        await replica.registry
          .getSingleMetric('tickpulse_universe_notifications_total')!
          .get()
      ).values.find(v => v.labels.result === r)?.value ?? 0;
    try {
      await waitFor(() => replica.service.listener!.isListening(), {
        what: 'LISTEN up',
      });
      const bad = ['01', '1e3', '0x10', '+2', '1.0', ' 2', '2147483648'];
      for (const payload of [...bad, '7'])
        await db.pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
      await waitFor(async () => (await result('enqueued')) === 1, {
        timeoutMs: 20_000,
        what: 'the valid notification',
      });
      // Delivered in order: every bad one was handled before the good one.
      expect(await result('invalid')).toBe(bad.length);
    } finally {
      await replica.stop();
      await ns.cleanup();
      await db.drop();
    }
  });

  it('turns a NOTIFY flood into a bounded number of jobs and one reconcile, with a few log lines, and still syncs a real edit', async () => {
    const channel = `tp_test_${randomBytes(4).toString('hex')}`;
    const db = await createTestDb({ trigger: true, channel });
    const ns = createNamespace();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      service: 'test',
      level: 'info',
      destination: {
        write: (l: string) =>
          void lines.push(JSON.parse(l) as Record<string, unknown>),
      },
    });
    const replica = await startReplica({
      databaseUrl: db.url,
      keys: ns.keys,
      bullmqPrefix: ns.bullmqPrefix,
      queueName: ns.queueName,
      logger,
      settings: { listen: true, notifyChannel: channel, notifyMaxPending: 20 },
    });
    const result = async (r: string) =>
      (
        await replica.registry
          .getSingleMetric('tickpulse_universe_notifications_total')!
          .get()
      ).values.find(v => v.labels.result === r)?.value ?? 0;
    const flood = 50_000;
    try {
      await waitFor(() => replica.service.listener!.isListening(), {
        what: 'LISTEN up',
      });
      const id = await db.insert(true, ['AAPL']);
      await waitFor(
        async () => (await members(ns.redis, ns.keys, id)).join() === 'AAPL',
        { timeoutMs: 20_000, what: 'insert synced' },
      );
      const enqueuedBefore = await result('enqueued');
      const reconcilesBefore = await metricTotal(
        replica.registry,
        'tickpulse_universe_reconcile_runs_total',
      );
      // What a role denied SELECT on strategies can still send: ids of
      // strategies that do not exist, then garbage.
      await db.pool.query(
        `SELECT pg_notify($1, (1000000 + i)::text) FROM generate_series(1, ${flood}) i`,
        [channel],
      );
      await db.pool.query(
        `SELECT pg_notify($1, 'garbage-' || i) FROM generate_series(1, ${flood}) i`,
        [channel],
      );
      await waitFor(async () => (await result('invalid')) === flood, {
        timeoutMs: 60_000,
        what: 'every notification handled',
      });
      const handled =
        (await result('enqueued')) -
        enqueuedBefore +
        (await result('enqueue_failed')) +
        (await result('coalesced')) +
        (await result('reconcile'));
      expect(handled).toBe(flood);
      // One job each before: 50 000. Now at most 20 waiting per reconcile.
      expect((await result('enqueued')) - enqueuedBefore).toBeLessThan(
        flood / 10,
      );
      expect(await result('reconcile')).toBeGreaterThan(0);
      await waitFor(
        async () =>
          (await metricTotal(
            replica.registry,
            'tickpulse_universe_reconcile_runs_total',
          )) > reconcilesBefore,
        { timeoutMs: 60_000, what: 'the flood reconcile' },
      );

      await db.update(id, true, ['MSFT']);
      await waitFor(
        async () => (await members(ns.redis, ns.keys, id)).join() === 'MSFT',
        { timeoutMs: 60_000, what: 'a real edit after the flood' },
      );
      const floodLines = lines.filter(l =>
        String(l.msg).startsWith('notification flood'),
      );
      const invalidLines = lines.filter(l =>
        String(l.msg).startsWith('ignored a notification'),
      );
      // At most one line per 10 s each, whatever the flood's size.
      expect(floodLines.length).toBeGreaterThanOrEqual(1);
      expect(floodLines.length).toBeLessThanOrEqual(10);
      expect(invalidLines.length).toBeLessThanOrEqual(10);
      expect(floodLines[0]).toMatchObject({ maxPending: 20 });
      expect(floodLines[0]!.dropped).toBeGreaterThanOrEqual(21);
      expect(
        (floodLines[0]!.droppedSample as number[]).every(d => d > 1_000_000),
      ).toBe(true);
    } finally {
      await replica.stop();
      await ns.cleanup();
      await db.drop();
    }
  });
});
