import type { RedisClient } from '@tickpulse/redis';
import type { Logger } from '@tickpulse/service-kit';
import type { IngestMetrics } from './metrics.js';
import { parseWatermark } from './gap-window.js';

/** The stored watermark: newest trade time published to the `ticks` queue. */
export interface GapWatermark {
  /** The stored value, or undefined when absent, invalid or unreadable. */
  read(): Promise<number | undefined>;
  /** Starts a write of `mark` (a plain SET; see `createGapHealer`). */
  write(mark: number): void;
  /** The highest mark written so far (-1: none). */
  readonly written: number;
  /** A write is in flight: the next one waits for a later batch. */
  readonly writing: boolean;
}

/**
 * The watermark's Redis adapter. A failure is counted every time and
 * logged at most once per 10 s: Redis being away must not flood the log.
 */
export function createGapWatermark(deps: {
  redis: RedisClient;
  key: string;
  log: Logger;
  metrics: IngestMetrics;
  now: () => number;
}): GapWatermark {
  let written = -1;
  let writing = false;
  let lastWarn = 0;

  const failed = (err: unknown, what: string) => {
    deps.metrics.watermarkFailures.inc();
    const t = deps.now();
    if (t - lastWarn > 10_000) {
      lastWarn = t;
      deps.log.warn({ err }, what);
    }
  };

  return {
    async read() {
      try {
        return parseWatermark(await deps.redis.get(deps.key));
      } catch (err) {
        failed(err, 'reading the watermark failed; using this process’s own');
        return undefined;
      }
    },
    write(mark) {
      writing = true;
      deps.redis
        .set(deps.key, String(mark))
        .then(
          () => {
            written = Math.max(written, mark);
          },
          err => failed(err, 'writing the watermark failed'),
        )
        .finally(() => {
          writing = false;
        });
    },
    get written() {
      return written;
    },
    get writing() {
      return writing;
    },
  };
}
