import { MAX_TICK_BATCH_ENTRIES, publishTickBatch } from '@tickpulse/contracts';
import { sleep } from '@tickpulse/service-kit';
import {
  seededRandom,
  startPrivateRedis,
  testRedis,
  waitFor,
  type PrivateRedis,
} from '@tickpulse/testkit';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createInterface } from 'node:readline';
import type { Redis } from 'ioredis';
import {
  mergeMax,
  readTickUpd,
  seriesValue,
  startWriter,
  tickQueue,
  waitDrained,
} from './helpers';

const BASE = 1_752_586_200_000;
const MAIN = join(__dirname, '../dist/main.js');

/** tick-writer's real entry point as a child process, with its JSON log lines collected. */
interface Child {
  proc: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function spawnWriter(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HTTP_PORT: '0',
      LOG_LEVEL: 'debug',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: proc.stdout! }).on('line', line => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ msg: line });
    }
  });
  const exited = new Promise<number | null>(resolve =>
    proc.once('exit', code => resolve(code)),
  );
  return { proc, lines, exited };
}

async function started(child: Child): Promise<void> {
  await waitFor(() => child.lines.some(l => l.msg === 'tick-writer started'), {
    timeoutMs: 20_000,
    what: 'tick-writer child started',
  });
}

function randomBatch(
  rnd: () => number,
  size: number,
  universe: number,
  base: number,
) {
  const batch = new Map<string, number>();
  for (let i = 0; i < size; i++) {
    batch.set(
      `S${Math.floor(rnd() * universe)}`,
      base + Math.floor(rnd() * 1_000_000),
    );
  }
  return batch;
}

describe('tick-writer survives failures', () => {
  let priv: PrivateRedis;
  let admin: Redis;
  const children: Child[] = [];

  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.proc.exitCode === null && c.proc.signalCode === null)
        c.proc.kill('SIGKILL');
      await c.exited;
    }
    await admin?.quit().catch(() => undefined);
    await priv?.stop();
  });

  it('a Redis restart mid-stream (AOF, fsync always) still ends with the exact TICK:UPD', async () => {
    priv = await startPrivateRedis([
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
    ]);
    admin = testRedis(priv.url);
    // testkit passes `--appendonly no` first; the later argument wins.
    expect(await admin.config('GET', 'appendonly')).toEqual([
      'appendonly',
      'yes',
    ]);
    const h = await startWriter({
      url: priv.url,
      env: {
        TICK_WRITER_LOCK_DURATION_MS: '2000',
        TICK_WRITER_STALLED_INTERVAL_MS: '1000',
      },
    });
    const producer = await tickQueue(priv.url, h.bullPrefix);
    const rnd = seededRandom(7);
    const generated = new Map<string, number>();
    const accepted = new Map<string, number>();
    let pending = new Map<string, number>();
    let seq = 0;
    let publishFailures = 0;
    let generating = true;

    // Like ingest: coalesce, publish on an interval, merge a failed batch back.
    const flushOnce = async () => {
      if (pending.size === 0) return;
      const batch = pending;
      pending = new Map();
      try {
        await publishTickBatch(producer.queue, batch);
        mergeMax(accepted, batch);
      } catch {
        publishFailures++;
        mergeMax(batch, pending);
        pending = batch;
      }
    };
    const loop = (async () => {
      while (generating) {
        seq++;
        const ticks = randomBatch(rnd, 30, 400, BASE + seq * 10_000);
        mergeMax(generated, ticks);
        mergeMax(pending, ticks);
        await flushOnce();
        await sleep(20);
      }
    })();

    await waitFor(
      async () =>
        (await seriesValue(h.registry, 'tickpulse_tick_writer_batches_total', {
          result: 'written',
        })) >= 20,
      {
        timeoutMs: 20_000,
        what: 'stream flowing',
      },
    );
    await priv.restart({ downMs: 1500 });
    const writtenAtRestart = await seriesValue(
      h.registry,
      'tickpulse_tick_writer_batches_total',
      { result: 'written' },
    );
    await sleep(2500);
    generating = false;
    await loop;
    await waitFor(
      async () => {
        await flushOnce();
        return pending.size === 0;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'producer flushed' },
    );
    expect(accepted).toEqual(generated);
    expect(publishFailures).toBeGreaterThan(0); // the producer did see the outage

    const expected = Object.fromEntries(generated);
    await waitFor(
      async () =>
        isDeepStrictEqual(await readTickUpd(admin, h.keyPrefix), expected),
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: 'TICK:UPD equal to the expected map',
      },
    );
    expect(await readTickUpd(admin, h.keyPrefix)).toEqual(expected);
    await waitDrained(producer.queue);
    expect((await producer.queue.getJobCounts('failed')).failed).toBe(0);
    // The worker kept consuming after the restart.
    expect(
      await seriesValue(h.registry, 'tickpulse_tick_writer_batches_total', {
        result: 'written',
      }),
    ).toBeGreaterThan(writtenAtRestart);
    expect((await h.writer.readiness()).worker?.ok).toBe(true);
    await producer.close();
    await h.close();
  }, 120_000);

  it('a tick-writer SIGKILLed mid-batch is replaced and the stalled batch re-processed: exact TICK:UPD', async () => {
    priv = await startPrivateRedis();
    admin = testRedis(priv.url);
    const env = {
      REDIS_URL: priv.url,
      REDIS_KEY_PREFIX: '{kill}:',
      BULLMQ_PREFIX: 'killtest',
      WORKER_CONCURRENCY: '2',
      // Short enough that the orphans are recovered quickly, long enough that
      // a live worker on a loaded CI machine keeps its locks; a stall of a live
      // worker only re-processes a batch, so allow many.
      TICK_WRITER_LOCK_DURATION_MS: '5000',
      TICK_WRITER_STALLED_INTERVAL_MS: '1000',
      TICK_WRITER_MAX_STALLED_COUNT: '50',
    };
    const producer = await tickQueue(priv.url, env.BULLMQ_PREFIX);
    const rnd = seededRandom(11);
    const expected = new Map<string, number>();
    let orphaned: string[] = [];

    for (let attempt = 0; attempt < 5 && orphaned.length === 0; attempt++) {
      const a = spawnWriter(env);
      children.push(a);
      await started(a);
      for (let b = 0; b < 15; b++) {
        const batch = randomBatch(rnd, 20_000, 60_000, BASE + b * 1000);
        mergeMax(expected, batch);
        await publishTickBatch(producer.queue, batch);
      }
      await waitFor(async () => (await producer.queue.getActiveCount()) > 0, {
        timeoutMs: 20_000,
        intervalMs: 5,
        what: 'a batch in hand',
      });
      a.proc.kill('SIGKILL');
      await a.exited;
      // Jobs still active after the process died are orphans only the stalled check can recover.
      orphaned = (await producer.queue.getActive(0, 10)).map(j => j.id!);
    }
    expect(orphaned.length).toBeGreaterThan(0);

    const b = spawnWriter(env);
    children.push(b);
    await started(b);
    await waitDrained(producer.queue, 90_000);
    const failed = await producer.queue.getFailed(0, 10);
    expect(failed.map(j => j.failedReason)).toEqual([]);
    expect(await readTickUpd(admin, env.REDIS_KEY_PREFIX)).toEqual(
      Object.fromEntries(expected),
    );
    const stalled = b.lines
      .filter(l => String(l.msg).startsWith('ticks job stalled'))
      .map(l => String(l.jobId));
    expect(stalled).toEqual(expect.arrayContaining(orphaned));

    b.proc.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    await producer.close();
  }, 180_000);

  it('SIGTERM finishes the batch in hand, then exits 0', async () => {
    priv = await startPrivateRedis();
    admin = testRedis(priv.url);
    const env = {
      REDIS_URL: priv.url,
      REDIS_KEY_PREFIX: '{term}:',
      BULLMQ_PREFIX: 'termtest',
      WORKER_CONCURRENCY: '1',
      // The largest batch a job may carry takes a while on a loaded machine; the drain must not give up first.
      TICK_WRITER_DRAIN_TIMEOUT_MS: '60000',
    };
    const producer = await tickQueue(priv.url, env.BULLMQ_PREFIX);
    const child = spawnWriter(env);
    children.push(child);
    await started(child);

    const rnd = seededRandom(3);
    const batch = randomBatch(rnd, MAX_TICK_BATCH_ENTRIES, 10_000_000, BASE);
    await publishTickBatch(producer.queue, batch);
    await waitFor(async () => (await producer.queue.getActiveCount()) > 0, {
      timeoutMs: 20_000,
      intervalMs: 2,
      what: 'the batch in hand',
    });
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);

    const msgs = child.lines.map(l => String(l.msg));
    // The signal arrived while the batch was in hand, and it was finished before exit.
    expect(msgs.indexOf('shutting down')).toBeGreaterThanOrEqual(0);
    expect(msgs.indexOf('tick batch written')).toBeGreaterThan(
      msgs.indexOf('shutting down'),
    );
    expect(child.lines.find(l => l.msg === 'shutdown complete')?.code).toBe(0);
    expect(await admin.zcard(`${env.REDIS_KEY_PREFIX}TICK:UPD`)).toBe(
      batch.size,
    );
    expect(await readTickUpd(admin, env.REDIS_KEY_PREFIX)).toEqual(
      Object.fromEntries(batch),
    );
    const counts = await producer.queue.getJobCounts(
      'wait',
      'active',
      'failed',
    );
    expect(counts).toEqual({ wait: 0, active: 0, failed: 0 });
    await producer.close();
  }, 120_000);
});
