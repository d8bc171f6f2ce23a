import {
  baseEnvSchema,
  DEFAULT_ZADD_CHUNK,
  durationMs,
  parseEnv,
  milliseconds,
  positiveInt,
} from '@tickpulse/shared';
import { z } from 'zod';

/** tick-writer's default `HTTP_PORT` (every app has its own, so all run on one machine). */
export const DEFAULT_HTTP_PORT = 9102;

/** tick-writer's environment variables. */
export const ConfigSchema = z.object({
  ...baseEnvSchema(DEFAULT_HTTP_PORT),

  // ---- the `ticks` worker -------------------------------------------------
  /** Batches processed at once. ZADD GT is commutative, so batches are independent; a few overlap Redis round trips. */
  TICK_WRITER_CONCURRENCY: positiveInt(4),
  /** Members per `ZADD TICK:UPD GT CH` call; the calls of one batch go out in one pipeline. */
  TICK_WRITER_ZADD_CHUNK: positiveInt(DEFAULT_ZADD_CHUNK),
  /**
   * Most members tick-writer lets TICK:UPD reach. Known tickers always
   * update; past it new tickers are left out (counted, logged). Far above
   * the ~12 000 listed US stocks plus OTC symbols over the 90-day retention:
   * it only stops a producer flooding the key shared with the alert service
   * (2 M valid-looking symbols added 222 MB for 90 days).
   */
  TICK_WRITER_MAX_TICKERS: positiveInt(100_000),
  /**
   * How long a job's lock lives without renewal (ms). A batch takes milliseconds,
   * so this only bounds how long a crashed pod's in-flight batches wait before
   * another worker re-processes them. Lower in tests to make SIGKILL recovery quick.
   */
  TICK_WRITER_LOCK_DURATION_MS: milliseconds(10_000),
  /** How often each worker looks for jobs whose lock expired (ms). */
  TICK_WRITER_STALLED_INTERVAL_MS: milliseconds(10_000),
  /**
   * Times a job may stall (lock lost) before it fails. Re-processing a batch is
   * harmless (ZADD GT), so this is generous; it only stops a batch that kills
   * every worker that takes it from looping forever.
   */
  TICK_WRITER_MAX_STALLED_COUNT: positiveInt(3),
  /** How long SIGTERM waits for the batches in hand before giving up (ms); below the pod's grace period. */
  TICK_WRITER_DRAIN_TIMEOUT_MS: milliseconds(10_000),

  // ---- retention ----------------------------------------------------------
  /** TICK:UPD members whose latest trade is older than this many days are removed. */
  TICK_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .positive()
    .max(3650, 'must be at most 3650 (10 years)')
    .default(90),
  /** How often the retention job runs (e.g. `1h`); one run cluster-wide per interval. */
  TICK_RETENTION_INTERVAL: durationMs('1h'),

  // ---- operations ---------------------------------------------------------
  /** Interval of the counter summary log line (the existing backend logged every 5 minutes). */
  TICK_WRITER_SUMMARY_INTERVAL: durationMs('5m'),
});

export type Config = z.infer<typeof ConfigSchema>;

/**
 * Validates tick-writer's environment.
 *
 * @throws ConfigError listing every bad variable.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseEnv(ConfigSchema, env, 'tick-writer');
}
