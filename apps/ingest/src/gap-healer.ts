import type { ConditionPolicy, TimestampBounds } from '@tickpulse/polygon';
import type { RedisClient } from '@tickpulse/redis';
import type { Logger } from '@tickpulse/service-kit';
import { runBackfill, type BackfillResult } from './backfill.js';
import {
  finishHeal,
  gapHealed,
  IDLE_GAP_QUEUE,
  requestHeal,
  type GapQueue,
  type GapReason,
  type GapRequest,
} from './gap-queue.js';
import { createGapWatermark } from './gap-watermark.js';
import {
  gapStart,
  healWindow,
  newestOf,
  reportLevel,
  watermarkToWrite,
} from './gap-window.js';
import type { IngestMetrics } from './metrics.js';
import type { RestClient } from './rest-client.js';

export type { GapReason } from './gap-queue.js';

/** Rows asked for per `/v3/trades` page (Polygon's default; its maximum is 50 000). */
const TRADES_PAGE_LIMIT = 1000;

/** One healed (or not) gap, as logged. */
export interface GapReport extends BackfillResult {
  reason: GapReason;
  /** Where healing started (ms): the gap start less the margin, or the clamp. */
  fromMs: number;
  /** Gap length (ms): from its start to when the stream was back (or the call). */
  gapMs: number;
  /** The gap was longer than `maxGapMs`: only its last `maxGapMs` were healed. */
  truncated: boolean;
  durationMs: number;
}

/** Settings of the healer (see the README's BACKFILL_* variables). */
export interface GapHealerOptions {
  enabled: boolean;
  concurrency: number;
  budget: number;
  maxGapMs: number;
  marginMs: number;
  /** One backfill's time in all; default `DEFAULT_BACKFILL_DEADLINE_MS`. */
  deadlineMs?: number;
}

/**
 * How long one backfill may take in all. A full gap heals in seconds; slow
 * answers (each within its own timeout) across a budget's worth of
 * lookups would otherwise hold the healer, and every later gap, for hours.
 */
export const DEFAULT_BACKFILL_DEADLINE_MS = 5 * 60_000;

/** Finds where each gap began and heals it from REST. */
export interface GapHealer {
  /** The newest trade time read from the stream (called per frame; cheap). */
  noteRead(ms: number): void;
  /** A batch reached the `ticks` queue: advances the watermark in Redis. */
  published(batch: ReadonlyMap<string, number>): void;
  /**
   * The stream is subscribed again: heals the gap since the watermark (the
   * newer of this process's last read and Redis's), when there is one.
   */
  streaming(): void;
  /**
   * Heals everything since `since` (Unix ms), one backfill at a time (a
   * call while one runs is merged into the next run, from the earliest start).
   * Used by `streaming` and by operators (e.g. rebuilding TICK:UPD after
   * Redis lost its data). Resolves with the report, also when disabled
   * (outcome `failed`, nothing sent).
   */
  backfill(opts: { since: number; reason?: GapReason }): Promise<GapReport>;
  /** Aborts a running backfill (lost leadership); later ones run normally. */
  abort(): void;
  /** Aborts and waits for the running backfill. */
  stop(): Promise<void>;
}

/** What the healer is built from. */
export interface GapHealerDeps {
  options: GapHealerOptions;
  /** Undefined: no REST client, gaps are reported but never healed. */
  rest: RestClient | undefined;
  redis: RedisClient;
  watermarkKey: string;
  policy: ConditionPolicy;
  bounds: TimestampBounds;
  /** Receives every healed tick. */
  add: (ticker: string, ms: number) => void;
  logger: Logger;
  metrics: IngestMetrics;
  now?: () => number;
}

/** What one gap's backfill needs. */
interface GapRunDeps {
  options: GapHealerOptions;
  rest: RestClient | undefined;
  policy: ConditionPolicy;
  bounds: TimestampBounds;
  add: (ticker: string, ms: number) => void;
  now: () => number;
}

/** What a disabled healer reports: nothing sent, nothing healed. */
const NOT_RUN: BackfillResult = {
  outcome: 'failed',
  fromSnapshot: 0,
  fromTrades: 0,
  lookedUp: 0,
  unresolved: 0,
  requests: 0,
  invalid: 0,
};

/** Heals one gap from REST (or reports it unhealed when backfill is off). */
async function healGap(
  req: GapRequest,
  deps: GapRunDeps,
  signal: AbortSignal,
): Promise<GapReport> {
  const { options, rest, now } = deps;
  const started = now();
  const window = healWindow(req.since, req.gapEnd, started, options.maxGapMs);
  const result =
    !options.enabled || !rest
      ? { ...NOT_RUN }
      : await runBackfill(window.fromMs, {
          rest,
          policy: deps.policy,
          bounds: deps.bounds,
          concurrency: options.concurrency,
          pageLimit: TRADES_PAGE_LIMIT,
          budget: options.budget,
          deadlineMs: options.deadlineMs ?? DEFAULT_BACKFILL_DEADLINE_MS,
          add: deps.add,
          signal,
          now,
        });
  return {
    reason: req.reason,
    ...window,
    ...result,
    durationMs: now() - started,
  };
}

/** Counts and logs one gap report; the first `unauthorized` explains itself once. */
function createGapReporter(
  log: Logger,
  metrics: IngestMetrics,
  enabled: boolean,
): (report: GapReport) => void {
  let warnedUnauthorized = false;
  return report => {
    metrics.gaps.inc({ outcome: report.outcome });
    metrics.gapSeconds.observe(report.gapMs / 1000);
    metrics.backfillSeconds.observe(report.durationMs / 1000);
    metrics.healedTickers.inc({ source: 'snapshot' }, report.fromSnapshot);
    metrics.healedTickers.inc({ source: 'trades' }, report.fromTrades);
    if (report.outcome === 'unauthorized' && !warnedUnauthorized) {
      warnedUnauthorized = true;
      log.warn(
        'this Polygon key cannot backfill (REST answered 401/403): gaps stay unhealed until each ticker trades again; streaming continues. ' +
          'Backfill needs a plan with real-time snapshots and trades.',
      );
    }
    log[reportLevel(report.outcome)](
      { ...report, enabled },
      `gap of ${report.gapMs} ms: ${report.outcome}`,
    );
  };
}

type Settle = [(r: GapReport) => void, (e: unknown) => void];

/** Runs backfills one at a time, as `gap-queue.ts` decides. */
interface GapScheduler {
  /** Runs `req` now, or merged into the follow-up; resolves with its report. */
  schedule(req: GapRequest): Promise<GapReport>;
  /** See `GapQueue.hold`. */
  readonly hold: number | undefined;
  /** Drops the follow-up (its callers are never settled) and waits for the running one. */
  drain(): Promise<void>;
}

function createGapScheduler(
  run: (req: GapRequest) => Promise<GapReport>,
  healing: boolean,
  metrics: IngestMetrics,
): GapScheduler {
  let queue: GapQueue = IDLE_GAP_QUEUE;
  let current: Promise<GapReport> | undefined;
  /** Callers merged into `queue.next`, settled by its run. */
  let waiting: Settle[] = [];

  const start = (req: GapRequest): Promise<GapReport> => {
    metrics.backfillRunning.set(1);
    const p = run(req);
    current = p;
    const after = (r: GapReport | undefined) => {
      const step = finishHeal(queue, req.since, gapHealed(r?.outcome));
      queue = step.queue;
      current = undefined;
      metrics.backfillRunning.set(0);
      const settle = waiting;
      waiting = [];
      if (step.start)
        start(step.start).then(
          r => settle.forEach(([ok]) => ok(r)),
          e => settle.forEach(([, fail]) => fail(e)),
        );
    };
    p.then(after, () => after(undefined));
    return p;
  };

  return {
    schedule(req) {
      const step = requestHeal(queue, req, healing);
      queue = step.queue;
      if (step.action === 'start') return start(req);
      return new Promise((ok, fail) => waiting.push([ok, fail]));
    },
    get hold() {
      return queue.hold;
    },
    async drain() {
      queue = { ...queue, next: undefined };
      waiting = [];
      await current?.catch(() => undefined);
    },
  };
}

/**
 * Creates the healer. The watermark is the newest trade time of the
 * batches published so far (never ahead of the local clock), so it only
 * claims what reached the queue: ticks lost with a crashed process are
 * after it and get healed. It is written with a plain SET: a stale write
 * (a demoted leader's last batch) can only move the next gap start earlier,
 * which heals more, never less. Which backfill runs when, and what the
 * watermark may claim meanwhile, is decided in `gap-queue.ts` and
 * `gap-window.ts`; this wires those decisions to Redis, REST and promises.
 */
export function createGapHealer(deps: GapHealerDeps): GapHealer {
  const { options, metrics } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'backfill' });
  const healing = options.enabled && !!deps.rest;
  const runDeps: GapRunDeps = { ...deps, now };
  const report = createGapReporter(log, metrics, healing);
  const watermark = createGapWatermark({
    redis: deps.redis,
    key: deps.watermarkKey,
    log,
    metrics,
    now,
  });
  let lastRead = -1;
  let readsPending = 0;
  let controller = new AbortController();
  const scheduler = createGapScheduler(
    req =>
      healGap(req, runDeps, controller.signal).then(r => {
        report(r);
        return r;
      }),
    healing,
    metrics,
  );

  return {
    noteRead(ms) {
      if (ms > lastRead) lastRead = ms;
    },
    published(batch) {
      const mark = watermarkToWrite({
        newest: newestOf(batch),
        now: now(),
        hold: scheduler.hold,
        written: watermark.written,
        busy: readsPending > 0 || watermark.writing,
      });
      if (mark !== undefined) watermark.write(mark);
    },
    streaming() {
      // Both starting points are taken now, before any frame of the new
      // subscription is read: the GET goes out on the connection that later
      // carries this process's watermark writes, so it cannot see one of
      // them that already covers the new stream.
      const gapEnd = now();
      const inProcess = lastRead;
      readsPending++;
      void watermark.read().then(stored => {
        readsPending--;
        const gap = gapStart(inProcess, stored, gapEnd, scheduler.hold);
        if (!gap) {
          log.info('no watermark: no earlier read to heal from');
          return;
        }
        void scheduler
          .schedule({
            since: gap.from - options.marginMs,
            raw: gap.from,
            reason: gap.reason,
            gapEnd,
          })
          .catch(err => log.error({ err }, 'backfill failed'));
      });
    },
    backfill: ({ since, reason = 'api' }) =>
      scheduler.schedule({ since, raw: since, reason, gapEnd: now() }),
    abort() {
      controller.abort();
      controller = new AbortController();
    },
    async stop() {
      const drained = scheduler.drain();
      controller.abort();
      await drained;
    },
  };
}
