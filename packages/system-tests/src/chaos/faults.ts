import { setTimeout as sleep } from 'node:timers/promises';
import { MALFORMED_KINDS } from '@tickpulse/polygon-sim';
import { publishTickBatch } from '@tickpulse/contracts';
import { waitFor } from '@tickpulse/testkit';
import {
  FOOTPRINT_BOUND_BYTES,
  sampleBacklog,
  TICKS_CAP,
} from '../footprint-check.js';
import type { AppProcess } from '../harness.js';
import {
  expectGrowth,
  grows,
  logsSince,
  metricCounter,
  restartEvidence,
} from './evidence.js';
import type { Fault, FaultContext } from './fault.js';
import { HOSTILE_FEED, NOTIFY_FLOOD } from './hostile-rounds.js';
import { REDIS_DATA_LOSS_FAULTS, SECRET_FAULTS } from './redis-data-faults.js';

const writer = (ctx: FaultContext) => ctx.stack.apps.writer;
const usync = (ctx: FaultContext) => ctx.stack.apps.usync;

/** SIGKILL a process under load, start it again; the new start time is the evidence. */
function killAndRestart(
  name: string,
  what: string,
  target: (ctx: FaultContext) => AppProcess | Promise<AppProcess>,
): Fault {
  return {
    name,
    what,
    async inject(ctx, ev) {
      const p = await target(ctx);
      const started = await ctx.stack.metricOr0(
        p,
        'process_start_time_seconds',
      );
      await p.restart('SIGKILL');
      await restartEvidence(ctx, ev, p, started);
    },
  };
}

/**
 * One step of a rolling restart: SIGTERM (the process must drain and exit 0),
 * then start it again; its shutdown log lines are the evidence.
 */
function terminateAndRestart(
  label: string,
  target: (ctx: FaultContext) => AppProcess | Promise<AppProcess>,
  modes?: Fault['modes'],
  who = label,
): Fault {
  return {
    name: `${label}-sigterm`,
    what: `SIGTERM ${who} under load (rolling restart)`,
    ...(modes ? { modes } : {}),
    async inject(ctx, ev) {
      const p = await target(ctx);
      const mark = p.lines.length;
      const exit = await p.signal('SIGTERM');
      if (exit.code !== 0)
        throw new Error(
          `${p.name} exited ${exit.code} (${exit.signal}) on SIGTERM`,
        );
      const lines = logsSince(
        p,
        mark,
        /shutting down|shutdown complete|stopped/,
      );
      if (lines.length > 0)
        ev.push(
          `${p.name} logged "${lines.map(l => l.msg).join('", "')}", exit 0`,
        );
      await p.start();
    },
  };
}

/**
 * The faults, injected one after another in this order (each followed by its
 * recovery wait). To add one, append an entry: later faults start from a
 * system the earlier ones have already shaken, which is the point.
 */
export const CHAOS_FAULTS: readonly Fault[] = [
  {
    name: 'redis-restart',
    what: 'private Redis (AOF, appendfsync always) SIGKILLed, down 3 s, restarted',
    async inject({ stack }, ev) {
      const procs = stack.system.all();
      const marks = procs.map(p => p.lines.length);
      await stack.redisServer.restart({ downMs: 3000 });
      // Evidence is optional per process: some only notice when they next touch Redis.
      await waitFor(
        () =>
          procs.some(
            (p, i) =>
              logsSince(
                p,
                marks[i]!,
                /redis connection error|lease operation failed|publishing ticks failed|queue error/,
              ).length > 0,
          ),
        { timeoutMs: 30_000, what: 'a log line about the Redis outage' },
      ).then(
        () => {
          procs.forEach((p, i) => {
            const ls = logsSince(
              p,
              marks[i]!,
              /redis|lease|publish|queue/i,
            ).filter(l =>
              /^(warn|error|fatal|4\d|5\d|60)$/.test(String(l.level)),
            );
            const msgs = [...new Set(ls.map(l => String(l.msg)))];
            if (ls.length > 0)
              ev.push(
                `${p.name}: ${ls.length} warn/error lines ("${msgs.join('", "')}")`,
              );
          });
        },
        () => undefined,
      );
    },
  },
  {
    name: 'postgres-down-during-syncs',
    what: 'TCP proxy to PostgreSQL cut for 4 s while edits are committed and synced',
    async inject(ctx, ev) {
      const { proxy } = ctx.stack;
      await expectGrowth(
        ctx,
        ev,
        metricCounter(usync, 'tickpulse_universe_sync_jobs_total', {
          kind: 'strategy',
          result: 'error',
        }),
        async () => {
          proxy.cut();
          for (let id = 1; id <= 5; id++)
            await ctx.stack.api(`/v1/strategies/${id}/sync`);
        },
      );
      await sleep(4000);
      proxy.restore();
      ev.push(`proxy refused ${proxy.refused()} connections so far`);
    },
  },
  {
    name: 'postgres-down-during-reconcile',
    what: 'TCP proxy cut, reconcile requested (POST /v1/reconcile), restored after it failed',
    async inject({ stack }, ev) {
      const p = stack.apps.usync;
      // A reconcile that cannot reach PostgreSQL shows as either counter, depending on where it fails.
      const failures = async () =>
        (await stack.metricOr0(p, 'tickpulse_universe_reconcile_runs_total', {
          result: 'failed',
        })) +
        (await stack.metricOr0(p, 'tickpulse_universe_sync_jobs_total', {
          kind: 'reconcile',
          result: 'error',
        }));
      const before = await failures();
      stack.proxy.cut();
      const r = await stack.api('/v1/reconcile', {
        body: JSON.stringify({ reason: 'chaos' }),
      });
      ev.push(`POST /v1/reconcile → ${r.status}`);
      const after = await waitFor(
        async () => {
          const v = await failures();
          return v > before ? v : 0;
        },
        { timeoutMs: 60_000, what: 'a failed reconcile' },
      ).catch(() => null);
      if (after !== null) ev.push(`reconcile failures ${before} → ${after}`);
      else ev.length = 0;
      stack.proxy.restore();
    },
    // Recovered = a reconcile succeeded again, not just the tick path.
    async recover(ctx, ev) {
      const ok = () =>
        ctx.stack.metricOr0(
          ctx.stack.apps.usync,
          'tickpulse_universe_reconcile_runs_total',
          { result: 'ok' },
        );
      const before = await ok();
      await waitFor(async () => (await ok()) > before, {
        timeoutMs: 120_000,
        what: 'a reconcile to succeed after PostgreSQL returns',
      });
      ev.push(`reconcile_runs_total{result=ok} ${before} → ${await ok()}`);
      await ctx.healthy();
    },
  },
  {
    name: 'feed-drop',
    what: 'every WebSocket reset (no close frame)',
    inject: grows(
      metricCounter('ingest', 'tickpulse_ingest_reconnects_total'),
      ({ stack }) => stack.sim.dropConnections(),
    ),
  },
  {
    name: 'rest-failing-during-backfill',
    what: 'every WebSocket reset while REST fails: snapshot 500 ×3, trades 429 ×2 (the backfill retries; later gaps still heal)',
    inject: grows(
      metricCounter('ingest', 'tickpulse_ingest_rest_requests_total', {
        endpoint: 'snapshot',
        status: '500',
      }),
      ({ stack }) => {
        stack.sim.injectRestFault('server_error', 3, 'snapshot');
        stack.sim.injectRestFault('rate_limit', 2, 'trades');
        stack.sim.dropConnections();
      },
    ),
  },
  {
    name: 'feed-stall',
    what: 'feed silent (no frames, no pongs) until ingest gives up on it (READ_TIMEOUT_MS 3 s)',
    inject: grows(
      metricCounter('ingest', 'tickpulse_ingest_reconnects_total'),
      async ({ stack, load }) => {
        const reconnects = () =>
          stack.sumIngest('tickpulse_ingest_reconnects_total');
        const before = await reconnects();
        load.feedPaused = true;
        stack.sim.stall(true);
        try {
          await waitFor(async () => (await reconnects()) > before, {
            timeoutMs: 30_000,
            what: 'ingest to give up on the silent feed',
          });
        } finally {
          stack.sim.stall(false);
          load.feedPaused = false;
        }
      },
    ),
  },
  {
    name: 'feed-max-connections',
    what: 'the feed sends max_connections and closes',
    inject: grows(
      metricCounter('ingest', 'tickpulse_ingest_max_connections_total'),
      ({ stack }) => stack.sim.sendMaxConnections(),
    ),
  },
  {
    name: 'feed-malformed',
    what: 'one frame of every malformed kind',
    inject: grows(
      metricCounter('ingest', 'tickpulse_ingest_invalid_total'),
      ({ stack }) => {
        for (const k of MALFORMED_KINDS) stack.sim.sendMalformed(k);
      },
    ),
  },
  {
    name: 'feed-future-timestamps',
    what: '50 trades 1 h in the future',
    inject: grows(
      metricCounter(
        'ingest',
        'tickpulse_ingest_invalid_total',
        { reason: 'future_timestamp' },
        50,
      ),
      ({ stack }) => stack.sim.sendFutureTrades(50, 3_600_000),
    ),
  },
  {
    name: 'garbage-jobs',
    what: 'malformed payloads added to `ticks` and `universe-sync`',
    async inject(ctx, ev) {
      const { ticksQueue: tq, syncQueue: sq } = ctx.stack;
      await expectGrowth(
        ctx,
        ev,
        metricCounter(
          writer,
          'tickpulse_tick_writer_failures_total',
          { reason: 'invalid_job' },
          4,
        ),
        async () => {
          await tq.add('tick-batch', { v: 2, ticks: {} });
          await tq.add('tick-batch', {
            v: 1,
            ticks: { 'NOT A TICKER': Date.now() },
          });
          await tq.add('tick-batch', { v: 1, ticks: { AAPL: 'soon' } });
          await tq.add('garbage', 'just a string');
        },
      );
      await expectGrowth(
        ctx,
        ev,
        metricCounter(
          usync,
          'tickpulse_universe_sync_jobs_total',
          { result: 'invalid' },
          3,
        ),
        async () => {
          await sq.add('sync-strategy', {
            kind: 'strategy',
            strategyId: -1,
            reason: 'x',
          });
          await sq.add('sync-strategy', { kind: 'drop-tables' });
          await sq.add('garbage', null);
        },
      );
      // Replayed and out-of-order batches of real data are not garbage: they must change nothing.
      const snapshot = new Map<string, number>();
      for (const r of ctx.load.rounds.slice(-5)) {
        const s = await ctx.stack.zscore(r.marker);
        if (s !== null) snapshot.set(r.marker, s);
      }
      await publishTickBatch(tq, snapshot);
      await publishTickBatch(
        tq,
        new Map([...snapshot].map(([k, v]) => [k, v - 1000])),
      );
    },
  },
  {
    name: 'enqueue-flood',
    what: '300 sync requests for one strategy through the HTTP API (50 at a time)',
    async inject({ stack }, ev) {
      const jobs = () =>
        stack.metricOr0(
          stack.apps.usync,
          'tickpulse_universe_sync_jobs_total',
          {
            kind: 'strategy',
          },
        );
      const statuses = new Map<number, number>();
      const jobsBefore = await jobs();
      for (let b = 0; b < 6; b++) {
        const rs = await Promise.all(
          Array.from({ length: 50 }, () =>
            stack.api('/v1/strategies/7/sync').then(
              r => r.status,
              () => -1,
            ),
          ),
        );
        for (const s of rs) statuses.set(s, (statuses.get(s) ?? 0) + 1);
      }
      const desc = [...statuses].map(([s, n]) => `${s}×${n}`).join(', ');
      // 429 is the rate limit doing its job; anything else is a wrong answer.
      const bad = [...statuses.keys()].filter(s => s !== 202 && s !== 429);
      if (bad.length > 0) throw new Error(`unexpected statuses: ${desc}`);
      await sleep(1000);
      const jobsAfter = await jobs();
      ev.push(`responses ${desc}`);
      ev.push(
        `universe_sync_jobs_total{kind=strategy} +${jobsAfter - jobsBefore} during the flood (edits included)`,
      );
      const reqs = await stack.metricOr0(
        stack.apps.usync,
        'tickpulse_universe_api_requests_total',
      );
      ev.push(`universe_api_requests_total = ${reqs}`);
    },
  },
  {
    name: 'ingest-leader-sigkill',
    what: 'SIGKILL the ingest leader while the standby runs; restart it',
    async inject({ stack }, ev) {
      const l = await waitFor(stack.leader, {
        timeoutMs: 30_000,
        what: 'an ingest leader',
      });
      const s = stack.ingests().find(p => p !== l && p.running())!;
      const acquired = () =>
        stack.metricOr0(s, 'tickpulse_ingest_leader_transitions_total', {
          transition: 'acquired',
        });
      const a0 = await acquired();
      await l.signal('SIGKILL');
      await waitFor(async () => (await acquired()) > a0, {
        timeoutMs: 60_000,
        what: 'standby to take the lease',
      });
      ev.push(
        `${s.name} leader_transitions_total{acquired} ${a0} → ${await acquired()}`,
      );
      await waitFor(() => stack.sim.stats().subscribed === 1, {
        timeoutMs: 60_000,
        what: 'the new leader streaming',
      });
      await l.start();
    },
  },
  killAndRestart(
    'tick-writer-sigkill',
    'SIGKILL tick-writer under load; restart it',
    writer,
  ),
  killAndRestart(
    'universe-sync-sigkill',
    'SIGKILL universe-sync under load; restart it',
    usync,
  ),
  HOSTILE_FEED,
  NOTIFY_FLOOD,
  {
    ...killAndRestart(
      'ingest-standby-sigkill',
      'SIGKILL the ingest standby; restart it',
      ({ stack }) =>
        waitFor(stack.standby, {
          timeoutMs: 30_000,
          what: 'an ingest standby',
        }),
    ),
    modes: ['full'],
  },
  {
    name: 'tick-writer-down-full-rate',
    what: 'tick-writer SIGKILLed while the feed runs at its highest rate: the ticks backlog stays at its cap and Redis memory bounded',
    async inject(ctx, ev) {
      const { stack } = ctx;
      const { highRate, highRateMs } = stack.settings;
      const w = writer(ctx);
      const held = () =>
        stack.sumIngest('tickpulse_ingest_flushes_held_back_total');
      const heldBefore = await held();
      await w.signal('SIGKILL');
      stack.sim.setRate(highRate);
      let backlog;
      try {
        backlog = await sampleBacklog(
          stack.redis,
          stack.ticksQueue,
          highRateMs,
        );
      } finally {
        stack.sim.setRate(stack.settings.simRate);
      }
      const heldAfter = await held();
      await w.start();
      const mib = (b: number) => (b / 2 ** 20).toFixed(2);
      if (backlog.samples < 10)
        throw new Error(`only ${backlog.samples} backlog samples`);
      if (backlog.maxPending > TICKS_CAP)
        throw new Error(
          `${backlog.maxPending} ticks jobs pending, above the cap of ${TICKS_CAP}`,
        );
      if (backlog.maxGrowth > FOOTPRINT_BOUND_BYTES)
        throw new Error(
          `used_memory grew by ${mib(backlog.maxGrowth)} MiB, above ${mib(FOOTPRINT_BOUND_BYTES)} MiB`,
        );
      if (heldAfter <= heldBefore)
        throw new Error('ingest never held back: the cap was not reached');
      ev.push(
        `${highRate}/s for ${highRateMs / 1000} s: ticks pending ≤ ${backlog.maxPending} (cap ${TICKS_CAP}) over ${backlog.samples} samples, used_memory +${mib(backlog.maxGrowth)} MiB (bound ${mib(FOOTPRINT_BOUND_BYTES)})`,
        `ingest_flushes_held_back_total ${heldBefore} → ${heldAfter}`,
      );
    },
  },
  // Rolling restart: every app in the full run; the short run stops tick-writer and the ingest leader.
  terminateAndRestart('tick-writer', writer),
  terminateAndRestart('universe-sync', usync, ['full']),
  terminateAndRestart('ingest-a', ctx => ctx.stack.apps.ingestA, ['full']),
  terminateAndRestart('ingest-b', ctx => ctx.stack.apps.ingestB, ['full']),
  terminateAndRestart(
    'ingest-leader',
    async ({ stack }) => (await stack.leader()) ?? stack.apps.ingestA,
    ['short'],
    'the ingest leader',
  ),
  {
    name: 'redis-restart-2',
    what: 'Redis SIGKILLed again after the rolling restart, down 3 s',
    modes: ['full'],
    async inject({ stack }, ev) {
      const failures = () =>
        stack.sumIngest('tickpulse_ingest_publish_failures_total');
      const before = await failures();
      await stack.redisServer.restart({ downMs: 3000 });
      const after = await failures();
      if (after > before)
        ev.push(`ingest_publish_failures_total ${before} → ${after}`);
      const n = stack.system
        .all()
        .reduce(
          (acc, p) => acc + logsSince(p, 0, /redis connection error/).length,
          0,
        );
      if (n > 0) ev.push(`${n} "redis connection error" lines in all logs`);
    },
  },
  ...REDIS_DATA_LOSS_FAULTS,
  ...SECRET_FAULTS,
];
