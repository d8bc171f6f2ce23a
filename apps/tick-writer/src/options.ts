import type { Config } from './config.js';

/** The `ticks` worker: how it takes jobs from BullMQ and how long shutdown waits for them. */
export interface TicksWorkerOptions {
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  drainTimeoutMs: number;
}

/** How a batch is written to TICK:UPD. */
export interface TickWriteOptions {
  zaddChunk: number;
  maxTickers: number;
}

/** TICK:UPD retention. */
export interface RetentionOptions {
  days: number;
  intervalMs: number;
}

/**
 * Everything tick-writer's service takes, in option groups. The env names
 * stop at this file: the service never sees them, so renaming a variable
 * touches `config.ts` and the mapping here only.
 */
export interface TickWriterOptions {
  keyPrefix: string;
  bullmqPrefix: string;
  worker: TicksWorkerOptions;
  writes: TickWriteOptions;
  retention: RetentionOptions;
  summaryIntervalMs: number;
}

/** Maps the parsed environment to the service's options. */
export function tickWriterOptions(config: Config): TickWriterOptions {
  return {
    keyPrefix: config.REDIS_KEY_PREFIX,
    bullmqPrefix: config.BULLMQ_PREFIX,
    worker: {
      concurrency: config.WORKER_CONCURRENCY,
      lockDurationMs: config.TICK_WRITER_LOCK_DURATION_MS,
      stalledIntervalMs: config.TICK_WRITER_STALLED_INTERVAL_MS,
      maxStalledCount: config.TICK_WRITER_MAX_STALLED_COUNT,
      drainTimeoutMs: config.TICK_WRITER_DRAIN_TIMEOUT_MS,
    },
    writes: {
      zaddChunk: config.TICK_WRITER_ZADD_CHUNK,
      maxTickers: config.TICK_WRITER_MAX_TICKERS,
    },
    retention: {
      days: config.TICK_RETENTION_DAYS,
      intervalMs: config.TICK_RETENTION_INTERVAL,
    },
    summaryIntervalMs: config.SUMMARY_INTERVAL,
  };
}
