import { Writable } from 'node:stream';
import { createLogger } from '@tickpulse/service-kit';
import { waitFor } from '@tickpulse/testkit';
import { Registry } from 'prom-client';
import { createUniverseMetrics } from '../src/metrics';
import { migrate } from '../src/migrations';
import type { NotifyListener } from '../src/notify-listener';
import { createTriggerGate } from '../src/trigger-gate';
import { createTestDb } from './helpers';

describe('trigger gate (real PostgreSQL)', () => {
  it('retries a LISTEN that fails once the trigger appears, and the process lives on', async () => {
    const db = await createTestDb({ trigger: false });
    const lines: string[] = [];
    const logger = createLogger({
      service: 'test',
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    // The listener's connection is refused the first time (PostgreSQL at
    // its connection limit, say), then works.
    let starts = 0;
    const listener: NotifyListener = {
      start: async () => {
        if (++starts === 1) throw new Error('too many connections');
      },
      stop: async () => undefined,
      isListening: () => starts > 1,
    };
    let installed = 0;
    const gate = createTriggerGate({
      pool: db.pool,
      channel: 'tp_gate',
      listener,
      metrics: createUniverseMetrics(new Registry()),
      logger,
      onInstalled: async () => void installed++,
      recheckMs: 50,
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      await gate.start();
      expect(gate.check().detail).toMatch(/notify trigger missing/);
      const c = await db.pool.connect();
      try {
        await migrate(c, {
          schema: false,
          trigger: true,
          uninstall: false,
          channel: 'tp_gate',
        });
      } finally {
        c.release();
      }
      await waitFor(() => installed === 1, {
        timeoutMs: 20_000,
        what: 'LISTEN started after one failure',
      });
      expect(starts).toBe(2);
      expect(unhandled).toEqual([]);
      expect(lines.join('')).toMatch(
        /could not listen for strategy changes; retrying/,
      );
    } finally {
      process.off('unhandledRejection', onUnhandled);
      gate.stop();
      await db.drop();
    }
  });
});
