import type { JobsOptions, Queue } from 'bullmq';
import { z } from 'zod';
import { echoValue, truncateText } from './echo.js';
import { InvalidJobError } from './errors.js';
import { MAX_STRATEGY_ID } from './strategy-id.js';
import { isNormalizedTicker } from './tickers.js';

/**
 * BullMQ queue names (contract). `tickMaintenance` is tick-writer's own
 * housekeeping queue, not the `ticks` one: that one is a contract whose every
 * job is a tick batch (its validation rejects anything else, its depth means
 * "ticks waiting"). It is listed here so its name is pinned with the others
 * and tools that show every queue (the CLI) see it.
 */
export const QUEUE_NAMES = {
  ticks: 'ticks',
  universeSync: 'universe-sync',
  tickMaintenance: 'tick-maintenance',
} as const;

/** Job names within the queues. */
export const JOB_NAMES = {
  tickBatch: 'tick-batch',
  syncStrategy: 'sync-strategy',
  reconcile: 'reconcile',
  retention: 'tick-upd-retention',
} as const;

/** Completed jobs go; failed ones stay a week (at most 10 000) for inspection. */
export const DEFAULT_JOB_OPTIONS = {
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
} satisfies JobsOptions;

// ---- ticks ---------------------------------------------------------------

/**
 * `ticks` payload version 1: each ticker's newest eligible trade time (Unix
 * ms) seen in a flush window, as an object keyed by ticker. Still accepted
 * (an ingest of the previous release keeps publishing it during a rolling
 * deploy); no longer produced.
 */
export interface TickBatchV1 {
  v: 1;
  ticks: Record<string, number>;
}

/**
 * `ticks` payload version 2, what ingest publishes: the same content as two
 * parallel arrays, `times[i]` being the newest trade time of `tickers[i]`.
 * An object with thousands of keys is the slowest thing JSON.parse builds
 * (a dictionary-mode object, one property per ticker); two arrays parse
 * several times faster and feed the ZADD without an entries array.
 */
export interface TickBatchV2 {
  v: 2;
  tickers: string[];
  times: number[];
}

/** A `ticks` job payload as it sits on the queue. */
export type TickBatchPayload = TickBatchV1 | TickBatchV2;

/** The version ingest publishes. */
export const TICK_BATCH_VERSION = 2;

/** A validated `ticks` batch of either version, as columns. */
export interface TickBatch {
  tickers: string[];
  times: number[];
}

/**
 * How far ahead of the local clock a trade time may be, on both sides of the
 * `ticks` contract: ingest drops later trades (clock skew between Polygon and
 * an NTP-synced host stays far below it), tick-writer drops entries beyond it
 * before the ZADD GT. A time far in the future would otherwise freeze its
 * ticker: GT never lets a real trade replace it, and retention never removes it.
 */
export const TICK_FUTURE_TOLERANCE_MS = 10_000;

/** Trade times before 2000-01-01 or beyond year 2100 are not ms timestamps. */
const MIN_MS = 946_684_800_000;
const MAX_MS = 4_102_444_800_000;

const V1_FIELDS = ['v', 'ticks'];
const V2_FIELDS = ['v', 'tickers', 'times'];

/** Names of unknown fields for a message: a few, each bounded. */
function describeKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, 3).map(k => echoValue(k, 40));
  return (
    shown.join(', ') + (keys.length > 3 ? `, … ${keys.length - 3} more` : '')
  );
}

const failTicks = (reason: string): never => {
  throw new InvalidJobError(QUEUE_NAMES.ticks, reason);
};

const validTime = (ms: unknown): boolean =>
  typeof ms === 'number' &&
  Number.isSafeInteger(ms) &&
  ms >= MIN_MS &&
  ms <= MAX_MS;

/**
 * Validates a `ticks` job payload of version 1 or 2 and returns it as
 * columns. Exactly the fields of its version: a field the version does not
 * know is rejected rather than ignored, since a producer that sends one
 * means something the consumer would silently not do. Hand-written rather
 * than zod because a batch carries up to tens of thousands of entries. A
 * ticker repeated in a v2 batch is allowed: `ZADD GT` keeps the newest.
 *
 * @throws InvalidJobError naming the first problem.
 */
export function parseTickBatch(data: unknown): TickBatch {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return failTicks('payload is not an object');
  }
  const { v } = data as Record<string, unknown>;
  if (v !== 1 && v !== 2) failTicks(`unsupported version ${echoValue(v)}`);
  const fields = v === 1 ? V1_FIELDS : V2_FIELDS;
  const unknown = Object.keys(data).filter(k => !fields.includes(k));
  if (unknown.length > 0)
    failTicks(`unknown field(s) ${describeKeys(unknown)}`);
  return v === 1
    ? parseV1(data as Record<string, unknown>)
    : parseV2(data as Record<string, unknown>);
}

function parseV1(data: Record<string, unknown>): TickBatch {
  const { ticks } = data;
  if (typeof ticks !== 'object' || ticks === null || Array.isArray(ticks)) {
    return failTicks('ticks is not an object');
  }
  const tickers: string[] = [];
  const times: number[] = [];
  for (const ticker in ticks) {
    const ms = (ticks as Record<string, unknown>)[ticker];
    if (!isNormalizedTicker(ticker))
      failTicks(`invalid ticker ${echoValue(ticker)}`);
    if (!validTime(ms))
      failTicks(`invalid time for ${ticker}: ${echoValue(ms)}`);
    tickers.push(ticker);
    times.push(ms as number);
  }
  return { tickers, times };
}

function parseV2(data: Record<string, unknown>): TickBatch {
  const { tickers, times } = data;
  if (!Array.isArray(tickers)) return failTicks('tickers is not an array');
  if (!Array.isArray(times)) return failTicks('times is not an array');
  if (tickers.length !== times.length)
    failTicks(
      `tickers and times differ in length (${tickers.length} vs ${times.length})`,
    );
  for (let i = 0; i < tickers.length; i++) {
    const ticker: unknown = tickers[i];
    if (typeof ticker !== 'string' || !isNormalizedTicker(ticker))
      failTicks(`invalid ticker ${echoValue(ticker)} at ${i}`);
    if (!validTime(times[i]))
      failTicks(`invalid time for ${ticker as string}: ${echoValue(times[i])}`);
  }
  return { tickers: tickers as string[], times: times as number[] };
}

/**
 * Failed `ticks` jobs kept: the newest 10, for a day. A failed batch carries
 * up to one entry per ticker (≈ 22 bytes each, so ≈ 0.3 MB at 12 000
 * tickers), and a poison stream must not fill a Redis shared with the alert
 * service: 10 bound them to ≈ 3 MB. Re-running one by hand is never needed
 * (later batches supersede it); every failure is also logged with its reason
 * and counted by tick-writer.
 */
export const TICK_BATCH_KEEP_FAILED = { age: 24 * 3600, count: 10 };

/**
 * `ticks` job options. A batch write can fail transiently (Redis `LOADING`
 * after a restart, `READONLY` during a failover, `OOM` under noeviction); a
 * retry is always safe because ZADD GT is idempotent, and a lost batch would
 * leave its tickers stale until they trade again. 10 attempts with
 * exponential backoff from 0.5 s span about 4 minutes. A malformed batch
 * fails at once regardless (the worker throws UnrecoverableError).
 */
export const TICK_BATCH_JOB_OPTIONS = {
  ...DEFAULT_JOB_OPTIONS,
  removeOnFail: TICK_BATCH_KEEP_FAILED,
  attempts: 10,
  backoff: { type: 'exponential', delay: 500 },
} satisfies JobsOptions;

/**
 * Splits a batch into the entries within `toleranceMs` of `nowMs` (a batch
 * again; the same object when nothing is beyond) and those beyond it, which
 * must not be written.
 */
export function boundFutureTicks(
  batch: TickBatch,
  nowMs: number,
  toleranceMs = TICK_FUTURE_TOLERANCE_MS,
): { accepted: TickBatch; future: [string, number][] } {
  const limit = nowMs + toleranceMs;
  const { tickers, times } = batch;
  let n = 0;
  while (n < times.length && times[n]! <= limit) n++;
  if (n === times.length) return { accepted: batch, future: [] };
  const future: [string, number][] = [];
  const accepted: TickBatch = {
    tickers: tickers.slice(0, n),
    times: times.slice(0, n),
  };
  for (let i = n; i < times.length; i++) {
    if (times[i]! > limit) future.push([tickers[i]!, times[i]!]);
    else {
      accepted.tickers.push(tickers[i]!);
      accepted.times.push(times[i]!);
    }
  }
  return { accepted, future };
}

/** Newest trade time in a batch, or null when it is empty. */
export function newestTick(batch: TickBatch): number | null {
  const { times } = batch;
  if (times.length === 0) return null;
  let newest = times[0]!;
  for (let i = 1; i < times.length; i++)
    if (times[i]! > newest) newest = times[i]!;
  return newest;
}

/**
 * Publishes one coalesced batch to the `ticks` queue as a v2 payload;
 * returns the job id.
 *
 * @param ticks ticker → newest trade time, as a Map or a plain record.
 */
export async function publishTickBatch(
  queue: Queue,
  ticks: ReadonlyMap<string, number> | Readonly<Record<string, number>>,
): Promise<string | undefined> {
  const tickers: string[] = [];
  const times: number[] = [];
  if (ticks instanceof Map) {
    // forEach: no [key, value] array per entry, and batches carry up to tens
    // of thousands of tickers 20 times a second.
    ticks.forEach((ms: number, ticker: string) => {
      tickers.push(ticker);
      times.push(ms);
    });
  } else {
    const record = ticks as Readonly<Record<string, number>>;
    for (const ticker in record) {
      tickers.push(ticker);
      times.push(record[ticker]!);
    }
  }
  const batch: TickBatchV2 = { v: TICK_BATCH_VERSION, tickers, times };
  const job = await queue.add(
    JOB_NAMES.tickBatch,
    batch,
    TICK_BATCH_JOB_OPTIONS,
  );
  return job.id;
}

// ---- universe-sync -------------------------------------------------------

const reason = z.string().trim().min(1).max(200);

/**
 * A `universe-sync` job: sync one strategy, or reconcile all of them. Strict
 * objects: an unknown field is rejected, not stripped (every producer —
 * `enqueueUniverseSync`, `enqueueReconcile`, the reconcile scheduler — sends
 * exactly these fields).
 */
export const UniverseSyncJobSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('strategy'),
    strategyId: z.number().int().positive().max(MAX_STRATEGY_ID),
    reason,
  }),
  z.strictObject({ kind: z.literal('reconcile'), reason }),
]);
export type UniverseSyncJob = z.infer<typeof UniverseSyncJobSchema>;

/**
 * Validates a `universe-sync` job payload.
 *
 * @throws InvalidJobError with every problem found.
 */
export function parseUniverseSyncJob(data: unknown): UniverseSyncJob {
  const r = UniverseSyncJobSchema.safeParse(data);
  if (!r.success) {
    // zod's messages name unknown keys and may quote values: bounded.
    throw new InvalidJobError(
      QUEUE_NAMES.universeSync,
      truncateText(z.prettifyError(r.error), 500),
    );
  }
  return r.data;
}

/** Deduplication id of a strategy's sync jobs. */
export const strategyDedupId = (strategyId: number): string =>
  `strategy-${strategyId}`;

/**
 * Failed `universe-sync` jobs kept: the newest 100, for a day. A failed job
 * is a strategy whose sync ran out of attempts (or a malformed job); the
 * next reconcile repairs its set either way, so the failed set is only there
 * to inspect recent reasons, which are also logged and counted. At one job
 * per strategy (≈ 1.4 KB each) the former 10 000 for a week held 14 MB in a
 * Redis shared with the alert service; 100 hold ≈ 0.14 MB.
 */
export const UNIVERSE_SYNC_KEEP_FAILED = { age: 24 * 3600, count: 100 };

/**
 * Asks universe-sync to bring one strategy's set up to date. Requests for the
 * same strategy collapse into at most one waiting job, and a request that
 * lands while that strategy's sync is running schedules one more run after it
 * (`keepLastIfActive`), so an edit committed mid-sync is never lost. The job
 * carries only the id: the worker reads the current row when it runs.
 *
 * @returns the id of the job that will do the sync.
 */
export async function enqueueUniverseSync(
  queue: Queue,
  strategyId: number,
  why: string,
): Promise<string | undefined> {
  const data = parseUniverseSyncJob({
    kind: 'strategy',
    strategyId,
    reason: why,
  });
  const job = await queue.add(JOB_NAMES.syncStrategy, data, {
    ...DEFAULT_JOB_OPTIONS,
    removeOnFail: UNIVERSE_SYNC_KEEP_FAILED,
    attempts: 8,
    backoff: { type: 'exponential', delay: 1000 },
    deduplication: { id: strategyDedupId(strategyId), keepLastIfActive: true },
  });
  return job.id;
}

/** Asks universe-sync for a full reconcile; concurrent requests collapse the same way. */
export async function enqueueReconcile(
  queue: Queue,
  why: string,
): Promise<string | undefined> {
  const data = parseUniverseSyncJob({ kind: 'reconcile', reason: why });
  const job = await queue.add(JOB_NAMES.reconcile, data, {
    ...DEFAULT_JOB_OPTIONS,
    removeOnFail: UNIVERSE_SYNC_KEEP_FAILED,
    attempts: 5,
    backoff: { type: 'exponential', delay: 5000 },
    deduplication: { id: 'reconcile', keepLastIfActive: true },
  });
  return job.id;
}
