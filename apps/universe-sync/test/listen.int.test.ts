import { metricTotal } from '@tickpulse/shared';
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
});
