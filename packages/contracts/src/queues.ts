import { z } from 'zod';
import { echoValue, truncateText } from './echo.js';
import { InvalidJobError, InvalidTickerError } from './errors.js';
import { MAX_STRATEGY_ID } from './strategy-id.js';
import { isNormalizedTicker } from './tickers.js';

/**
 * The BullMQ job options these contracts set, declared here (a subset of
 * BullMQ's `JobsOptions`) so the contracts carry no BullMQ dependency;
 * `src/bullmq-compat.test.ts` checks BullMQ accepts them.
 */
export interface JobOptions {
  removeOnComplete?: boolean | number | KeepJobs;
  removeOnFail?: boolean | number | KeepJobs;
  attempts?: number;
  backoff?: number | { type: 'fixed' | 'exponential'; delay?: number };
  deduplication?: { id: string; ttl?: number; keepLastIfActive?: boolean };
}

/** How many finished jobs BullMQ keeps: the newest `count`, or `age` seconds' worth. */
export type KeepJobs = { count: number } | { age: number; count?: number };

/** The part of a BullMQ `Queue` the producers below use. */
export interface JobQueue {
  add(
    name: string,
    data: unknown,
    opts?: JobOptions,
  ): Promise<{ id?: string | undefined }>;
}

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
} satisfies JobOptions;

/**
 * `tick-upd-retention` job options (tick-writer's `tick-maintenance` queue):
 * 3 attempts, exponential backoff from 10 s; failed runs kept a week, at
 * most 100.
 */
export const RETENTION_JOB_OPTIONS = {
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600, count: 100 },
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
} satisfies JobOptions;

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
 * `ticks` payload version 2, what ingest publishes: the same content packed
 * for the two places it is paid for, BullMQ's `JSON.parse` of the stored
 * data and tick-writer's ZADD encoding. `tickers` is one string of
 * space-separated tickers (normalised tickers never contain a space) and
 * `base + offsets[i]` is the newest trade time of the i-th one. In an array,
 * every ticker is a string of its own that `JSON.parse` looks up in V8's
 * string table and tick-writer then reads back from wherever it lies: per
 * ticker, two cache misses. One string is one allocation whose bytes are
 * copied into the ZADD in order, and offsets from the oldest time are small
 * integers that need no heap number. The job is about 60 % smaller.
 */
export interface TickBatchV2 {
  v: 2;
  /** Unix ms of the oldest entry. */
  base: number;
  /** Tickers separated by one space. */
  tickers: string;
  /** Per ticker, ms after `base`. */
  offsets: number[];
}

/** A `ticks` job payload as it sits on the queue. */
export type TickBatchPayload = TickBatchV1 | TickBatchV2;

/** The version ingest publishes. */
export const TICK_BATCH_VERSION = 2;

declare const validated: unique symbol;

/**
 * A validated `ticks` batch of either version: `times[i]` is the newest
 * trade time of the i-th space-separated ticker in `symbols`. Only this
 * module makes one (`parseTickBatch`, `tickBatchOf`), so a holder may write
 * it without checking it again.
 */
export interface TickBatch {
  readonly symbols: string;
  readonly times: readonly number[];
  readonly [validated]: true;
}

/**
 * How far ahead of the local clock a trade time may be, on both sides of the
 * `ticks` contract: ingest drops later trades (clock skew between Polygon and
 * an NTP-synced host stays far below it), tick-writer drops entries beyond it
 * before the ZADD GT. A time far in the future would otherwise freeze its
 * ticker: GT never lets a real trade replace it, and retention never removes it.
 */
export const TICK_FUTURE_TOLERANCE_MS = 10_000;

/**
 * Most entries one `ticks` job may carry (contract, both sides). At most
 * ≈ 27 bytes an entry in v2 (a 15-character ticker, a space, an 8-digit
 * offset and a comma), so a job stays under ≈ 3 MB and its parse and write
 * under a fraction of tick-writer's lock. ingest splits a larger flush into
 * several jobs (`TICKS_JOB_MAX_TICKERS`, far below this); tick-writer rejects
 * a larger job at once, before looking at a single entry, instead of
 * spending seconds of its event loop (and its lease) on it.
 */
export const MAX_TICK_BATCH_ENTRIES = 100_000;

/** Characters of a v2 `tickers` string with MAX_TICK_BATCH_ENTRIES tickers of 15. */
const MAX_PACKED_TICKERS_CHARS = MAX_TICK_BATCH_ENTRIES * 16;

/** Trade times before 2000-01-01 or beyond year 2100 are not ms timestamps. */
const MIN_MS = 946_684_800_000;
const MAX_MS = 4_102_444_800_000;

const V1_FIELDS = ['v', 'ticks'];
const V2_FIELDS = ['v', 'base', 'tickers', 'offsets'];

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

const tooMany = (seen: string): string =>
  `too many entries (${seen}; one job carries at most ${MAX_TICK_BATCH_ENTRIES})`;

const validTime = (ms: unknown): boolean =>
  typeof ms === 'number' &&
  Number.isSafeInteger(ms) &&
  ms >= MIN_MS &&
  ms <= MAX_MS;

const batchOf = (symbols: string, times: readonly number[]): TickBatch =>
  ({ symbols, times }) as unknown as TickBatch;

/**
 * Validates a `ticks` job payload of version 1 or 2. Exactly the fields of
 * its version: a field the version does not know is rejected rather than
 * ignored, since a producer that sends one means something the consumer
 * would silently not do. Hand-written rather than zod because a batch
 * carries up to tens of thousands of entries. A ticker repeated in a batch
 * is allowed: `ZADD GT` keeps the newest.
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
    if (tickers.length === MAX_TICK_BATCH_ENTRIES) failTicks(tooMany('more'));
    const ms = (ticks as Record<string, unknown>)[ticker];
    if (!isNormalizedTicker(ticker))
      failTicks(`invalid ticker ${echoValue(ticker)}`);
    if (!validTime(ms))
      failTicks(`invalid time for ${ticker}: ${echoValue(ms)}`);
    tickers.push(ticker);
    times.push(ms as number);
  }
  return batchOf(tickers.join(' '), times);
}

function parseV2(data: Record<string, unknown>): TickBatch {
  const { base, tickers, offsets } = data;
  if (!Number.isSafeInteger(base) || (base as number) < 0)
    return failTicks(`invalid base ${echoValue(base)}`);
  if (typeof tickers !== 'string') return failTicks('tickers is not a string');
  if (!Array.isArray(offsets)) return failTicks('offsets is not an array');
  if (
    offsets.length > MAX_TICK_BATCH_ENTRIES ||
    tickers.length > MAX_PACKED_TICKERS_CHARS
  )
    return failTicks(
      tooMany(`${offsets.length} offsets, ${tickers.length} ticker characters`),
    );
  const bad = checkPackedTickers(tickers, offsets.length);
  if (bad) return failTicks(bad);
  const times: number[] = [];
  for (let i = 0; i < offsets.length; i++) {
    const off: unknown = offsets[i];
    const ms = (base as number) + (off as number);
    if (!Number.isSafeInteger(off) || (off as number) < 0 || !validTime(ms))
      failTicks(`invalid offset ${echoValue(off)} at ${i}`);
    times.push(ms);
  }
  return batchOf(tickers, times);
}

const SPACE = 0x20;
const MAY_START = 1;
const MAY_FOLLOW = 2;
/** Per ASCII code: may a normalised ticker start with it, may it follow. */
const TICKER_CHARS = (() => {
  const t = new Uint8Array(128);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')
    t[c.charCodeAt(0)] = MAY_START | MAY_FOLLOW;
  for (const c of './-') t[c.charCodeAt(0)] = MAY_FOLLOW;
  return t;
})();

/**
 * Why `packed` is not `count` normalised tickers separated by single spaces,
 * or null when it is. The same rule as `isNormalizedTicker`, one character
 * at a time, so no string is made per ticker.
 */
function checkPackedTickers(packed: string, count: number): string | null {
  const differ = (n: number) =>
    `tickers and offsets differ in length (${n} vs ${count})`;
  if (packed === '') return count === 0 ? null : differ(0);
  let n = 0;
  let start = 0;
  for (let i = 0; i <= packed.length; i++) {
    const c = i < packed.length ? packed.charCodeAt(i) : SPACE;
    if (c !== SPACE) {
      const may = c < 128 ? TICKER_CHARS[c]! : 0;
      if (!(may & (i === start ? MAY_START : MAY_FOLLOW)) || i - start >= 16)
        return `invalid ticker ${echoValue(packed.slice(start, i + 1))} at ${n}`;
      continue;
    }
    if (i === start) return `empty ticker at ${n}`;
    n++;
    start = i + 1;
  }
  return n === count ? null : differ(n);
}

/**
 * Packs and validates columns into a batch (for writers that hold tickers
 * one by one, such as `TickStore.markUpdated`).
 *
 * @throws InvalidTickerError listing every invalid entry, before anything is written.
 */
export function tickBatchOf(
  tickers: readonly unknown[],
  times: readonly unknown[],
): TickBatch {
  const invalid: { index: number; value: unknown; reason: string }[] = [];
  for (let i = 0; i < tickers.length; i++) {
    const ticker = tickers[i];
    const ms = times[i];
    if (typeof ticker !== 'string' || !isNormalizedTicker(ticker)) {
      invalid.push({
        index: i,
        value: ticker,
        reason: 'not a normalised ticker',
      });
    } else if (!Number.isSafeInteger(ms) || (ms as number) <= 0) {
      invalid.push({ index: i, value: ms, reason: `bad time for ${ticker}` });
    }
  }
  if (tickers.length !== times.length)
    invalid.push({
      index: Math.min(tickers.length, times.length),
      value: Math.abs(tickers.length - times.length),
      reason: 'tickers and times differ in length',
    });
  if (invalid.length > 0) throw new InvalidTickerError(invalid);
  return batchOf(tickers.join(' '), times as number[]);
}

/** The tickers of a batch, one string each (for the rare paths that need them). */
export function batchTickers(batch: TickBatch): string[] {
  return batch.symbols === '' ? [] : batch.symbols.split(' ');
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
} satisfies JobOptions;

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
  const { times } = batch;
  let n = 0;
  while (n < times.length && times[n]! <= limit) n++;
  if (n === times.length) return { accepted: batch, future: [] };
  const tickers = batchTickers(batch);
  const future: [string, number][] = [];
  const keptTickers: string[] = [];
  const keptTimes: number[] = [];
  for (let i = 0; i < times.length; i++) {
    if (times[i]! > limit) future.push([tickers[i]!, times[i]!]);
    else {
      keptTickers.push(tickers[i]!);
      keptTimes.push(times[i]!);
    }
  }
  return { accepted: batchOf(keptTickers.join(' '), keptTimes), future };
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
  queue: JobQueue,
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
  let base = times.length > 0 ? times[0]! : 0;
  for (let i = 1; i < times.length; i++) if (times[i]! < base) base = times[i]!;
  const offsets: number[] = [];
  for (let i = 0; i < times.length; i++) offsets.push(times[i]! - base);
  const batch: TickBatchV2 = {
    v: TICK_BATCH_VERSION,
    base,
    tickers: tickers.join(' '),
    offsets,
  };
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

/** `sync-strategy` job options: 8 attempts, exponential backoff from 1 s. */
export const STRATEGY_SYNC_JOB_OPTIONS = {
  ...DEFAULT_JOB_OPTIONS,
  removeOnFail: UNIVERSE_SYNC_KEEP_FAILED,
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
} satisfies JobOptions;

/**
 * `reconcile` job options, whoever adds the job: `enqueueReconcile` (start-up,
 * data loss, the API) and universe-sync's reconcile scheduler alike, so a
 * scheduled reconcile retries as often as a requested one. 5 attempts,
 * exponential backoff from 5 s.
 */
export const RECONCILE_JOB_OPTIONS = {
  ...DEFAULT_JOB_OPTIONS,
  removeOnFail: UNIVERSE_SYNC_KEEP_FAILED,
  attempts: 5,
  backoff: { type: 'exponential', delay: 5000 },
} satisfies JobOptions;

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
  queue: JobQueue,
  strategyId: number,
  why: string,
): Promise<string | undefined> {
  const data = parseUniverseSyncJob({
    kind: 'strategy',
    strategyId,
    reason: why,
  });
  const job = await queue.add(JOB_NAMES.syncStrategy, data, {
    ...STRATEGY_SYNC_JOB_OPTIONS,
    deduplication: { id: strategyDedupId(strategyId), keepLastIfActive: true },
  });
  return job.id;
}

/** Asks universe-sync for a full reconcile; concurrent requests collapse the same way. */
export async function enqueueReconcile(
  queue: JobQueue,
  why: string,
): Promise<string | undefined> {
  const data = parseUniverseSyncJob({ kind: 'reconcile', reason: why });
  const job = await queue.add(JOB_NAMES.reconcile, data, {
    ...RECONCILE_JOB_OPTIONS,
    deduplication: { id: 'reconcile', keepLastIfActive: true },
  });
  return job.id;
}
