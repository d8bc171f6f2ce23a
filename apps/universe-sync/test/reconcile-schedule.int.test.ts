import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { RECONCILE_JOB_OPTIONS } from '@tickpulse/contracts';
import { freePort, waitFor } from '@tickpulse/testkit';
import { Queue, QueueEvents } from 'bullmq';
import { RECONCILE_SCHEDULER_ID } from '../src/service';
import {
  createNamespace,
  createTestDb,
  members,
  type TestDb,
  type TestNamespace,
} from './helpers';

const MAIN = join(__dirname, '..', 'dist', 'main.js');

/** `node dist/main.js` on its own port, namespace and schema; LISTEN off, so only reconcile repairs drift. */
async function startApp(
  db: TestDb,
  ns: TestNamespace,
  env: Record<string, string>,
) {
  const port = await freePort();
  let out = '';
  const proc = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      DATABASE_URL: db.url,
      HTTP_PORT: String(port),
      REDIS_KEY_PREFIX: ns.prefix,
      BULLMQ_PREFIX: ns.bullmqPrefix,
      LISTEN_NOTIFY: 'false',
      ALLOW_UNAUTHENTICATED: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', d => (out += d));
  proc.stderr!.on('data', d => (out += d));
  const exit = new Promise<number | null>(r => proc.once('exit', r));
  const reconcileRuns = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m =
      /^tickpulse_universe_reconcile_runs_total\{result="ok"\} (\d+)$/m.exec(
        text,
      );
    return Number(m?.[1] ?? 0);
  };
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
    { timeoutMs: 20_000, what: 'universe-sync up' },
  );
  return {
    reconcileRuns,
    output: () => out,
    async stop() {
      proc.kill('SIGTERM');
      return exit;
    },
  };
}

describe('reconcile at start-up and on the schedule (dist/main.js)', () => {
  let db: TestDb;
  let ns: TestNamespace;

  beforeEach(async () => {
    db = await createTestDb();
    ns = createNamespace();
  });
  afterEach(async () => {
    await ns.cleanup();
    await db.drop();
  });

  it('RECONCILE_ON_START=true repairs drift once at start; the next run waits a whole interval', async () => {
    const id = await db.insert(true, ['AAPL']);
    await ns.redis.sadd(ns.keys.stratUniv(999), 'ORPHAN');
    const app = await startApp(db, ns, {
      RECONCILE_ON_START: 'true',
      RECONCILE_INTERVAL: '1h',
    });
    const qConn = ns.redis.duplicate();
    const q = new Queue('universe-sync', {
      connection: qConn,
      prefix: ns.bullmqPrefix,
    });
    try {
      await waitFor(async () => (await app.reconcileRuns()) >= 1, {
        timeoutMs: 20_000,
        what: 'start-up reconcile',
      });
      expect(await members(ns.redis, ns.keys, id)).toEqual(['AAPL']);
      expect(await ns.redis.exists(ns.keys.stratUniv(999))).toBe(0);
      // Nothing else is queued and the scheduler's first run is an interval away: one run, not "at least one".
      const counts = await q.getJobCounts('wait', 'active', 'prioritized');
      expect(counts.wait! + counts.active! + counts.prioritized!).toBe(0);
      const [scheduler] = await q.getJobSchedulers(0, 10);
      expect(scheduler!.key).toBe(RECONCILE_SCHEDULER_ID);
      expect(scheduler!.next!).toBeGreaterThan(Date.now() + 30 * 60_000);
      // A scheduled reconcile retries like a requested one.
      expect(scheduler!.template?.opts).toMatchObject({
        attempts: RECONCILE_JOB_OPTIONS.attempts,
        backoff: RECONCILE_JOB_OPTIONS.backoff,
        removeOnFail: RECONCILE_JOB_OPTIONS.removeOnFail,
      });
      expect(await app.reconcileRuns()).toBe(1);
    } finally {
      expect(await app.stop()).toBe(0);
      await q.close();
      qConn.disconnect();
    }
  });

  it('RECONCILE_ON_START=false: no start-up run; the schedule keeps repairing drift', async () => {
    const id = await db.insert(true, ['MSFT']);
    // Every job added to the queue from before the app starts.
    const eventsConn = ns.redis.duplicate({ maxRetriesPerRequest: null });
    const events = new QueueEvents('universe-sync', {
      connection: eventsConn,
      prefix: ns.bullmqPrefix,
    });
    const added: string[] = [];
    events.on('added', ({ jobId }) => void added.push(jobId));
    await events.waitUntilReady();
    const app = await startApp(db, ns, {
      RECONCILE_ON_START: 'false',
      RECONCILE_INTERVAL: '1s',
    });
    try {
      await waitFor(
        async () => (await members(ns.redis, ns.keys, id)).join() === 'MSFT',
        { timeoutMs: 20_000, what: 'first scheduled repair' },
      );
      const before = await app.reconcileRuns();
      // Drift again; LISTEN is off and nobody enqueues: only a later scheduled run repairs it.
      await ns.redis.del(ns.keys.stratUniv(id));
      await ns.redis.sadd(ns.keys.stratUniv(4242), 'ORPHAN');
      await waitFor(
        async () =>
          (await members(ns.redis, ns.keys, id)).join() === 'MSFT' &&
          (await ns.redis.exists(ns.keys.stratUniv(4242))) === 0,
        { timeoutMs: 20_000, what: 'second scheduled repair' },
      );
      expect(await app.reconcileRuns()).toBeGreaterThan(before);
      // Every job came from the scheduler: there was no start-up reconcile.
      expect(added.length).toBeGreaterThanOrEqual(2);
      for (const jobId of added)
        expect(jobId).toMatch(
          new RegExp(`^repeat:${RECONCILE_SCHEDULER_ID}:\\d+$`),
        );
    } finally {
      expect(await app.stop()).toBe(0);
      await events.close();
      eventsConn.disconnect();
    }
  });
});
