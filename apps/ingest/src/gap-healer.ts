import type { ConditionPolicy, TimestampBounds } from '@tickpulse/polygon';
import type { Logger, RedisClient } from '@tickpulse/shared';
import { runBackfill, type BackfillResult } from './backfill.js';
import type { IngestMetrics } from './metrics.js';
import type { RestClient } from './rest-client.js';

/** Rows asked for per `/v3/trades` page (Polygon's default; its maximum is 50 000). */
const TRADES_PAGE_LIMIT = 1000;

/** Why a backfill ran (log field). */
export type GapReason = 'resubscribe' | 'startup' | 'api' | 'data-loss';

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

/**
 * Creates the healer. The watermark is the newest trade time of the
 * batches published so far (never ahead of the local clock), so it only
 * claims what reached the queue: ticks lost with a crashed process are
 * after it and get healed. It is written with a plain SET: a stale write
 * (a demoted leader's last batch) can only move the next gap start earlier,
 * which heals more, never less.
 */
export function createGapHealer(deps: {
  options: GapHealerOptions;
  rest: RestClient | undefined;
  redis: RedisClient;
  watermarkKey: string;
  policy: ConditionPolicy;
  bounds: TimestampBounds;
  add: (ticker: string, ms: number) => void;
  logger: Logger;
  metrics: IngestMetrics;
  now?: () => number;
}): GapHealer {
  const { options, metrics } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'backfill' });
  let lastRead = -1;
  let written = -1;
  let writing = false;
  let controller = new AbortController();
  let warnedUnauthorized = false;
  let lastWatermarkWarn = 0;

  const watermarkFailed = (err: unknown, what: string) => {
    metrics.watermarkFailures.inc();
    const t = now();
    if (t - lastWatermarkWarn > 10_000) {
      lastWatermarkWarn = t;
      log.warn({ err }, what);
    }
  };

  const readWatermark = async (): Promise<number | undefined> => {
    try {
      const v = await deps.redis.get(deps.watermarkKey);
      const ms = v === null ? NaN : Number(v);
      return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
    } catch (err) {
      watermarkFailed(
        err,
        'reading the watermark failed; using this process’s own',
      );
      return undefined;
    }
  };

  const run = async (
    since: number,
    reason: GapReason,
    gapEnd: number,
  ): Promise<GapReport> => {
    const started = now();
    const floor = started - options.maxGapMs;
    const truncated = since < floor;
    const fromMs = Math.max(since, floor);
    const base = {
      reason,
      fromMs,
      gapMs: Math.max(0, gapEnd - since),
      truncated,
    };
    let result: BackfillResult;
    if (!options.enabled || !deps.rest) {
      result = {
        outcome: 'failed',
        fromSnapshot: 0,
        fromTrades: 0,
        lookedUp: 0,
        unresolved: 0,
        requests: 0,
        invalid: 0,
      };
    } else {
      result = await runBackfill(fromMs, {
        rest: deps.rest,
        policy: deps.policy,
        bounds: deps.bounds,
        concurrency: options.concurrency,
        pageLimit: TRADES_PAGE_LIMIT,
        budget: options.budget,
        deadlineMs: options.deadlineMs ?? DEFAULT_BACKFILL_DEADLINE_MS,
        add: deps.add,
        signal: controller.signal,
        now,
      });
    }
    const report: GapReport = {
      ...base,
      ...result,
      durationMs: now() - started,
    };
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
    const level =
      report.outcome === 'healed' || report.outcome === 'aborted'
        ? 'info'
        : 'warn';
    log[level](
      { ...report, enabled: options.enabled && !!deps.rest },
      `gap of ${report.gapMs} ms: ${report.outcome}`,
    );
    return report;
  };

  // One backfill at a time. Gaps that end while one runs are merged into a
  // single follow-up (the earliest start): its snapshot is newer than all of
  // them, so one pass heals them all.
  let current: Promise<GapReport> | undefined;
  let next:
    | {
        since: number;
        raw: number;
        reason: GapReason;
        gapEnd: number;
        settle: Array<[(r: GapReport) => void, (e: unknown) => void]>;
      }
    | undefined;
  // The earliest gap start (before the margin) not yet healed. The watermark
  // never moves past it: a process that dies before its backfill finished
  // leaves the next leader a watermark from which that gap is still healed.
  let hold: number | undefined;

  const start = (
    since: number,
    raw: number,
    reason: GapReason,
    gapEnd: number,
  ): Promise<GapReport> => {
    metrics.backfillRunning.set(1);
    const p = run(since, reason, gapEnd);
    current = p;
    const after = (report: GapReport | undefined) => {
      const done =
        report !== undefined &&
        report.outcome !== 'failed' &&
        report.outcome !== 'aborted';
      if (next && !done) next.since = Math.min(next.since, since);
      else if (!next && done) hold = undefined;
      else if (next && done) hold = next.raw;
      current = undefined;
      metrics.backfillRunning.set(0);
      const n = next;
      next = undefined;
      if (n)
        start(n.since, n.raw, n.reason, n.gapEnd).then(
          r => n.settle.forEach(([ok]) => ok(r)),
          e => n.settle.forEach(([, fail]) => fail(e)),
        );
    };
    p.then(after, () => after(undefined));
    return p;
  };

  const schedule = (
    since: number,
    raw: number,
    reason: GapReason,
    gapEnd: number,
  ): Promise<GapReport> => {
    // With backfill off nothing will heal the gap: holding would only freeze the watermark.
    if (options.enabled && deps.rest) hold = Math.min(hold ?? Infinity, raw);
    if (!current) return start(since, raw, reason, gapEnd);
    if (next) {
      next.since = Math.min(next.since, since);
      next.raw = Math.min(next.raw, raw);
      next.gapEnd = Math.max(next.gapEnd, gapEnd);
    } else next = { since, raw, reason, gapEnd, settle: [] };
    const n = next;
    return new Promise((ok, fail) => n.settle.push([ok, fail]));
  };
  let readsPending = 0;

  return {
    noteRead(ms) {
      if (ms > lastRead) lastRead = ms;
    },
    published(batch) {
      // While a gap's start is being read, a write could cover the new
      // stream before the hold below is in place.
      if (readsPending > 0) return;
      let max = -1;
      for (const ms of batch.values()) if (ms > max) max = ms;
      const mark = Math.min(max, now(), hold ?? Infinity);
      if (mark <= written || writing) return;
      writing = true;
      deps.redis
        .set(deps.watermarkKey, String(mark))
        .then(
          () => {
            written = Math.max(written, mark);
          },
          err => watermarkFailed(err, 'writing the watermark failed'),
        )
        .finally(() => {
          writing = false;
        });
    },
    streaming() {
      // Both starting points are taken now, before any frame of the new
      // subscription is read: the GET goes out on the connection that later
      // carries this process's watermark writes, so it cannot see one of
      // them that already covers the new stream.
      const gapEnd = now();
      const inProcess = lastRead;
      readsPending++;
      void readWatermark().then(stored => {
        readsPending--;
        let from = Math.min(Math.max(inProcess, stored ?? -1), gapEnd);
        if (hold !== undefined) from = Math.min(from, hold);
        if (from < 0) {
          log.info('no watermark: no earlier read to heal from');
          return;
        }
        void schedule(
          from - options.marginMs,
          from,
          inProcess < 0 ? 'startup' : 'resubscribe',
          gapEnd,
        ).catch(err => log.error({ err }, 'backfill failed'));
      });
    },
    backfill: ({ since, reason = 'api' }) =>
      schedule(since, since, reason, now()),
    abort() {
      controller.abort();
      controller = new AbortController();
    },
    async stop() {
      next = undefined;
      controller.abort();
      await current?.catch(() => undefined);
    },
  };
}
