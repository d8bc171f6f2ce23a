import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { QUEUE_NAMES } from '@tickpulse/contracts';
import { DATA_LOSS_METRIC } from '@tickpulse/redis';
import { waitFor } from '@tickpulse/testkit';
import { Queue } from 'bullmq';
import type { AppProcess } from '../harness.js';
import { metricCounter } from './evidence.js';
import type { Fault, FaultContext } from './fault.js';

/** The schedulers the apps create at start (ids from universe-sync and tick-writer). */
const SCHEDULERS = [
  { queue: QUEUE_NAMES.universeSync, id: 'universe-reconcile' },
  { queue: QUEUE_NAMES.tickMaintenance, id: 'tick-upd-retention' },
] as const;

/**
 * Empties Redis while the feed and the oracle rounds go on. Every round sent
 * before the loss is gone from TICK:UPD with the data; it is in polygon-sim's
 * REST history, so ingest's rebuild (a backfill over `BACKFILL_MAX_GAP_MS`,
 * far longer than a chaos run) must bring it back exactly.
 */
async function loseData(
  ctx: FaultContext,
  empty: () => Promise<void>,
): Promise<void> {
  // Rounds sent just before the loss, so some of them are only in the ticks
  // queue or the coalescer when the data goes.
  await sleep(1000);
  await empty();
}

/** Evidence: every watching app counted the loss once more. */
async function dataLossEvidence(
  ctx: FaultContext,
  ev: string[],
  before: number[],
): Promise<void> {
  const counters = dataLossCounters();
  await Promise.all(
    counters.map(async (c, i) => {
      const after = await waitFor(
        async () => {
          const v = await c.read(ctx);
          return v > before[i]! ? v : 0;
        },
        { timeoutMs: 30_000, intervalMs: 200, what: `${c.label} to grow` },
      ).catch(() => null);
      const who = DATA_LOSS_WATCHERS[i];
      if (after !== null) ev.push(`${who} ${c.label} ${before[i]} → ${after}`);
      else throw new Error(`${who} ${c.label} did not grow within 30 s`);
    }),
  );
}

const DATA_LOSS_WATCHERS = ['ingest', 'tick-writer', 'universe-sync'];
const dataLossCounters = () => [
  metricCounter('ingest', DATA_LOSS_METRIC),
  metricCounter(ctx => ctx.stack.apps.writer, DATA_LOSS_METRIC),
  metricCounter(ctx => ctx.stack.apps.usync, DATA_LOSS_METRIC),
];

/**
 * Recovery after a loss: within 30 s both schedulers exist again and the
 * universes are back (some STRAT key, and a reconcile ran after the loss);
 * then the usual health wait. The exact comparison with PostgreSQL is the
 * end-of-run universe invariant.
 */
async function dataLossRecovery(
  ctx: FaultContext,
  ev: string[],
  evictions: number,
): Promise<void> {
  const { stack } = ctx;
  const prefix = stack.syncQueue.opts.prefix;
  const started = Date.now();
  for (const s of SCHEDULERS) {
    const q = new Queue(s.queue, { connection: stack.redis, prefix });
    try {
      await waitFor(async () => (await q.getJobScheduler(s.id)) !== undefined, {
        timeoutMs: 30_000,
        intervalMs: 250,
        what: `job scheduler ${s.id} re-created`,
      });
    } finally {
      await q.close();
    }
  }
  await waitFor(
    async () => {
      const [, keys] = await stack.redis.scan(
        '0',
        'MATCH',
        stack.keys.stratUnivPattern(),
        'COUNT',
        10_000,
      );
      return keys.length > 0;
    },
    { timeoutMs: 30_000, intervalMs: 250, what: 'universes rebuilt' },
  );
  ev.push(
    `schedulers ${SCHEDULERS.map(s => s.id).join(', ')} and universes back after ${Date.now() - started} ms`,
  );
  await ctx.healthy();
  // The lease vanished with the data: a second leader must not have connected.
  if (stack.sim.stats().evictions > evictions)
    throw new Error('two ingest connections on the account after the loss');
}

async function countersNow(ctx: FaultContext): Promise<number[]> {
  return Promise.all(dataLossCounters().map(c => c.read(ctx)));
}

/**
 * A data-loss fault: `empty` wipes Redis (with the feed paused), every
 * watching app must count it, and the recovery must bring back schedulers
 * and universes without two ingest connections on the account.
 */
function dataLossFault(
  name: string,
  what: string,
  empty: (ctx: FaultContext) => Promise<void>,
): Fault {
  let evictions = 0;
  return {
    name,
    what,
    async inject(ctx, ev) {
      evictions = ctx.stack.sim.stats().evictions;
      const before = await countersNow(ctx);
      await loseData(ctx, () => empty(ctx));
      await dataLossEvidence(ctx, ev, before);
    },
    recover: (ctx, ev) => dataLossRecovery(ctx, ev, evictions),
  };
}

/** Redis loses its data: FLUSHALL, then a SIGKILL restart with its files deleted. */
export const REDIS_DATA_LOSS_FAULTS: readonly Fault[] = [
  dataLossFault(
    'redis-flushall',
    'Redis loses its data: FLUSHALL (universes, schedulers, lease, queues gone)',
    async ({ stack }) => {
      await stack.redis.flushall();
    },
  ),
  dataLossFault(
    'redis-restart-empty',
    'Redis loses its data: SIGKILL, its AOF and RDB files deleted, restarted empty',
    async ({ stack }) => {
      const [, dir] = (await stack.redis.config('GET', 'dir')) as string[];
      await stack.redisServer.kill();
      rmSync(join(dir!, 'appendonlydir'), { recursive: true, force: true });
      rmSync(join(dir!, 'dump.rdb'), { force: true });
      await stack.redisServer.start();
    },
  ),
];

const secret = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

/** Throws when any of `values` appears in anything `procs` wrote. */
function expectNotLogged(procs: AppProcess[], values: string[]): void {
  const text = procs.map(p => p.raw.join('')).join('\n');
  const leaked = values.filter(v => text.includes(v));
  if (leaked.length > 0)
    throw new Error(`secret in the logs: ${leaked.length} value(s)`);
}

/** The secret check with wrong and rotated secrets (the end-of-run grep covers the right ones). */
export const SECRET_FAULTS: readonly Fault[] = [
  {
    name: 'redis-wrong-password',
    what: 'two extra ingest processes start with a wrong Redis password (userinfo; ?password=)',
    async inject({ stack }, ev) {
      const port = stack.redisServer.port;
      const wrong = [secret('wrong-userinfo'), secret('wrong-query')];
      // ingest-a's whole environment (the system's base env holds only
      // Redis): without its POLYGON_WS_URL an extra that later wins the lease
      // dials the default URL, where no simulator listens, for good.
      const ingestEnv = stack.apps.ingestA.env;
      const procs = await Promise.all([
        stack.system.add('ingest-wrong-a', 'ingest', {
          ...ingestEnv,
          REDIS_URL: `redis://:${wrong[0]}@127.0.0.1:${port}`,
        }),
        stack.system.add('ingest-wrong-b', 'ingest', {
          ...ingestEnv,
          REDIS_URL: `redis://127.0.0.1:${port}/?password=${wrong[1]}`,
        }),
      ]);
      try {
        await Promise.all(procs.map(p => p.start({ waitReady: false })));
        for (const p of procs)
          await waitFor(() => /WRONGPASS/.test(p.raw.join('')), {
            timeoutMs: 30_000,
            what: `${p.name} rejected by Redis`,
          });
        ev.push('both logged WRONGPASS');
        expectNotLogged(procs, wrong);
        ev.push('neither wrong password in their output');
      } finally {
        // The operator's fix: the right password, a restart. They stay as
        // extra standbys, so every process still runs at the end of the run.
        for (const p of procs) {
          p.env.REDIS_URL = stack.redisServer.url;
          await p.restart('SIGKILL');
        }
      }
    },
  },
  {
    name: 'redis-password-rotated',
    what: 'Redis password rotated on the server (CONFIG SET requirepass, every client dropped) for 5 s, then restored',
    async inject({ stack }, ev) {
      const procs = stack.system.all().filter(p => p.running());
      const marks = procs.map(p => p.raw.length);
      const rotated = secret('rotated');
      await stack.redis.config('SET', 'requirepass', rotated);
      try {
        // Connections stay authenticated after CONFIG SET; dropping them makes
        // every client AUTH again with the password it holds (the old one).
        await stack.redis.call(
          'CLIENT',
          'KILL',
          'TYPE',
          'normal',
          'SKIPME',
          'yes',
        );
        await waitFor(
          () =>
            procs.some((p, i) =>
              /WRONGPASS/.test(p.raw.slice(marks[i]).join('')),
            ),
          { timeoutMs: 30_000, what: 'a rejected reconnect' },
        );
        await sleep(5000);
      } finally {
        await stack.redis.config(
          'SET',
          'requirepass',
          stack.secrets.redisPassword,
        );
      }
      const rejected = procs.filter((p, i) =>
        /WRONGPASS/.test(p.raw.slice(marks[i]).join('')),
      );
      ev.push(`WRONGPASS logged by ${rejected.map(p => p.name).join(', ')}`);
    },
  },
];
