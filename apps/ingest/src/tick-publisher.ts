import type { Coalescer } from '@tickpulse/polygon';
import { publishTickBatch } from '@tickpulse/contracts';
import {
  logEvery,
  type Logger,
  sleep,
  withDeadline,
} from '@tickpulse/service-kit';
import type { Queue } from 'bullmq';
import type { IngestMetrics } from './metrics.js';
import {
  afterFailure,
  afterHeldBack,
  afterPublished,
  drainPause,
  flushGate,
  INITIAL_PUBLISH_STATE,
  type PublishState,
} from './publish-state.js';
import type { QueueCap } from './queue-cap.js';

/** At most one warning per this period while held back or failing. */
const LOG_EVERY_MS = 10_000;

/** Publishes the coalesced map as `ticks` jobs, one at a time. */
export interface TickPublisher {
  /** Starts the flush timer. */
  start(): void;
  /** Stops the timer (pending data stays for `drain`). */
  stop(): void;
  /**
   * Publishes what is pending now, unless a publish is already in flight,
   * the publisher is backing off after a failure, or the `ticks` queue is at
   * its cap (`force` ignores the back-off and the cap: shutdown drains retry
   * on their own schedule, and a final batch must not be dropped).
   */
  flush(force?: boolean): Promise<boolean>;
  /** True while the queue is at its cap and trades are merged instead of published. */
  readonly heldBack: boolean;
  /**
   * Publishes everything pending, retrying failures, until done or
   * `deadlineMs` passes; true when nothing is left.
   */
  drain(deadlineMs: number): Promise<boolean>;
}

/** What `createTickPublisher` is built from. */
export interface PublisherDeps {
  coalescer: Coalescer;
  queue: Queue;
  cap: QueueCap;
  intervalMs: number;
  timeoutMs: number;
  /**
   * Most tickers per job: a larger pending map (after holding back) goes out
   * as several jobs, one per flush, so no job outgrows the `ticks` bound.
   */
  maxJobTickers: number;
  logger: Logger;
  metrics: IngestMetrics;
  /** Called with each batch once it is on the queue (ingest's watermark). */
  onPublished?: (batch: ReadonlyMap<string, number>) => void;
}

/**
 * Creates the publisher. Never more than one publish is in flight, so a slow
 * or dead Redis cannot pile up requests; a failed (or timed-out) batch is
 * merged back into the coalescer, which keeps the maximum per ticker, so
 * memory stays bounded by the number of tickers and no ticker's newest time
 * is lost. A timed-out add that later succeeds only causes a duplicate
 * write, which `ZADD GT` makes harmless.
 *
 * After a failure the next attempt waits (exponential back-off from the
 * flush interval up to 2 s): turning up to every pending ticker into a job on
 * every frame only to have it rejected would starve the socket reader during
 * a Redis outage, and Polygon disconnects slow readers.
 *
 * Backpressure: while `cap` says the queue is full (tick-writer down or
 * slow), nothing is published and trades keep merging into the coalescer;
 * the first flush that finds room publishes everything as one batch. Redis
 * then holds at most the cap's jobs however high the trade rate and however
 * long tick-writer is away, and ingest's memory stays one entry per ticker.
 * Only the newest time per ticker matters, so merging loses nothing. A
 * merged map larger than `maxJobTickers` goes out over several flushes, one
 * bounded job each, oldest entries first.
 */
export function createTickPublisher(deps: PublisherDeps): TickPublisher {
  const { coalescer } = deps;
  const ctx: Ctx = {
    deps,
    log: deps.logger.child({ component: 'publisher' }),
    state: INITIAL_PUBLISH_STATE,
    warnFailure: logEvery(LOG_EVERY_MS),
    warnHeld: logEvery(LOG_EVERY_MS),
  };
  let inFlight: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const flush = (force = false): Promise<boolean> => {
    if (inFlight) return inFlight;
    const gate = flushGate(ctx.state, coalescer.size, force, Date.now());
    if (gate === 'nothing-pending') return Promise.resolve(true);
    if (gate === 'backing-off') return Promise.resolve(false);
    inFlight = publishOnce(ctx, force).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    start() {
      if (timer) return;
      timer = setInterval(() => void flush(), deps.intervalMs);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    flush,
    get heldBack() {
      return ctx.state.heldSince !== 0;
    },
    async drain(deadlineMs) {
      const until = Date.now() + deadlineMs;
      if (inFlight) await inFlight;
      while (coalescer.size > 0 && Date.now() < until) {
        if (!(await flush(true))) await sleep(drainPause(until, Date.now()));
      }
      return coalescer.size === 0;
    },
  };
}

/** The publisher's state and what its steps below share. */
interface Ctx {
  deps: PublisherDeps;
  log: Logger;
  state: PublishState;
  warnFailure: ReturnType<typeof logEvery>;
  warnHeld: ReturnType<typeof logEvery>;
}

/** One flush that got past the gate: room check, then one bounded job. */
async function publishOnce(ctx: Ctx, force: boolean): Promise<boolean> {
  const { coalescer, metrics } = ctx.deps;
  if (!force && !(await hasRoom(ctx))) return false;
  const batch = coalescer.take(ctx.deps.maxJobTickers);
  if (coalescer.size > 0) metrics.oversizedFlushes.inc();
  const stopTimer = metrics.publishSeconds.startTimer();
  let now: number;
  try {
    await withDeadline(
      publishTickBatch(ctx.deps.queue, batch),
      ctx.deps.timeoutMs,
      'ticks publish',
    );
    stopTimer();
    metrics.batches.inc();
    metrics.tickersPublished.inc(batch.size);
    now = Date.now();
    published(ctx, now, batch.size);
    ctx.deps.onPublished?.(batch);
  } catch (err) {
    coalescer.mergeBack(batch);
    failed(ctx, err, 'publishing ticks failed; batch merged back');
    return false;
  }
  await ctx.deps.cap.published(now);
  return true;
}

/** Whether the `ticks` queue has room; holds back (and says so) when not. */
async function hasRoom(ctx: Ctx): Promise<boolean> {
  let room;
  try {
    room = await ctx.deps.cap.check(Date.now());
  } catch (err) {
    failed(ctx, err, 'reading the ticks queue length failed; will retry');
    return false;
  }
  if (room === 'full') heldBack(ctx, Date.now());
  return room === 'room';
}

function failed(ctx: Ctx, err: unknown, what: string): void {
  ctx.deps.metrics.publishFailures.inc();
  const now = Date.now();
  ctx.state = afterFailure(ctx.state, now, ctx.deps.intervalMs);
  const failures = ctx.state.failuresSinceLog;
  ctx.warnFailure(
    () =>
      ctx.log.warn(
        { err, pendingTickers: ctx.deps.coalescer.size, failures },
        what,
      ),
    now,
  );
}

function heldBack(ctx: Ctx, now: number): void {
  const { metrics } = ctx.deps;
  const { state, started } = afterHeldBack(ctx.state, now);
  ctx.state = state;
  metrics.heldBackFlushes.inc();
  if (started) metrics.heldBack.set(1);
  ctx.warnHeld(
    () =>
      ctx.log.warn(
        {
          pendingJobs: ctx.deps.cap.pendingBound,
          pendingTickers: ctx.deps.coalescer.size,
          heldForMs: now - state.heldSince,
          heldChecks: state.heldChecks,
        },
        'ticks queue at its cap (tick-writer down or slow): holding back, merging trades per ticker',
      ),
    now,
  );
}

function published(ctx: Ctx, now: number, tickers: number): void {
  const { state, recoveredFrom, released } = afterPublished(ctx.state, now);
  ctx.state = state;
  if (recoveredFrom > 0)
    ctx.log.info({ failures: recoveredFrom, tickers }, 'publishing recovered');
  if (!released) return;
  ctx.log.info(
    { ...released, tickers },
    'ticks queue has room again: published the merged batch',
  );
  ctx.deps.metrics.heldBack.set(0);
}
