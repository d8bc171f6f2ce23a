import { DEFAULT_ZADD_CHUNK } from '@tickpulse/redis';
import {
  baseEnvSchema,
  duration,
  parseEnv,
  milliseconds,
  positiveInt,
} from '@tickpulse/service-kit';
import { z } from 'zod';

/** tick-writer's default `HTTP_PORT` (every app has its own, so all run on one machine). */
export const DEFAULT_HTTP_PORT = 9102;

/** One day in ms: the unit of TICK_RETENTION_DAYS. */
const DAY_MS = 86_400_000;

/** tick-writer's environment variables. */
export const ConfigSchema = z.object({
  ...baseEnvSchema(DEFAULT_HTTP_PORT),

  // ---- the `ticks` worker -------------------------------------------------
  WORKER_CONCURRENCY: positiveInt(4).describe(
    '`ticks` batches processed at once by one replica',
  ),
  TICK_WRITER_ZADD_CHUNK: positiveInt(DEFAULT_ZADD_CHUNK).describe(
    'members per `ZADD` call (calls of a batch are pipelined)',
  ),
  /**
   * Most members tick-writer lets TICK:UPD reach. Known tickers always
   * update; past it new tickers are left out (counted, logged). Far above
   * the ~12 000 listed US stocks plus OTC symbols over the 90-day retention:
   * it only stops a producer flooding the key shared with the alert service
   * (2 M valid-looking symbols added 222 MB for 90 days).
   */
  TICK_WRITER_MAX_TICKERS: positiveInt(100_000).describe(
    'most members `TICK:UPD` may reach; past it new tickers are left out (counted), known ones keep updating',
  ),
  /**
   * How long a job's lock lives without renewal (ms). A batch takes milliseconds,
   * so this only bounds how long a crashed pod's in-flight batches wait before
   * another worker re-processes them. Lower in tests to make SIGKILL recovery quick.
   */
  TICK_WRITER_LOCK_DURATION_MS: milliseconds(10_000).describe(
    "BullMQ job lock; a dead worker's batches are re-processed after it expires (tests use 1000)",
  ),
  TICK_WRITER_STALLED_INTERVAL_MS: milliseconds(10_000).describe(
    'how often workers look for expired locks (tests use 500)',
  ),
  /**
   * Times a job may stall (lock lost) before it fails. Re-processing a batch is
   * harmless (ZADD GT), so this is generous; it only stops a batch that kills
   * every worker that takes it from looping forever.
   */
  TICK_WRITER_MAX_STALLED_COUNT: positiveInt(3).describe(
    'stalls before a batch fails instead of being re-processed',
  ),
  TICK_WRITER_DRAIN_TIMEOUT_MS: milliseconds(10_000).describe(
    'SIGTERM: how long to wait for batches in hand (keep below the pod grace period minus ~5 s)',
  ),

  // ---- retention ----------------------------------------------------------
  // Not a timer (the cutoff is computed per run), so beyond Node's timer
  // limit; at least a day, as when it took whole days only.
  TICK_RETENTION_DAYS: duration('90', {
    plain: 'days',
    minMs: DAY_MS,
    maxMs: 3650 * DAY_MS,
  }).describe('`TICK:UPD` members older than this are removed'),
  TICK_RETENTION_INTERVAL: duration('1h').describe(
    'how often the retention job runs (one run cluster-wide per interval)',
  ),

  // ---- operations ---------------------------------------------------------
  SUMMARY_INTERVAL: duration('5m').describe(
    'period of the one-line `counter summary` log',
  ),
});

/** Deprecated variable names, still read (with a warning) under their new names. */
export const RENAMED_ENV = {
  TICK_WRITER_CONCURRENCY: 'WORKER_CONCURRENCY',
  TICK_WRITER_SUMMARY_INTERVAL: 'SUMMARY_INTERVAL',
};

export type Config = z.infer<typeof ConfigSchema>;

/**
 * Validates tick-writer's environment.
 *
 * @throws ConfigError listing every bad variable.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(ConfigSchema, env, 'tick-writer', RENAMED_ENV);
}
