import { loadConfig } from './config';
import { tickWriterOptions } from './options';

describe('tick-writer options', () => {
  it('maps every variable to its option', () => {
    const options = tickWriterOptions(
      loadConfig({
        REDIS_KEY_PREFIX: 'k:',
        BULLMQ_PREFIX: '{q}',
        WORKER_CONCURRENCY: '7',
        TICK_WRITER_ZADD_CHUNK: '123',
        TICK_WRITER_MAX_TICKERS: '4567',
        TICK_WRITER_LOCK_DURATION_MS: '2000',
        TICK_WRITER_STALLED_INTERVAL_MS: '1500',
        TICK_WRITER_MAX_STALLED_COUNT: '5',
        TICK_WRITER_DRAIN_TIMEOUT_MS: '3000',
        TICK_RETENTION_DAYS: '30',
        TICK_RETENTION_INTERVAL: '24h',
        SUMMARY_INTERVAL: '30s',
      }),
    );
    expect(options).toEqual({
      keyPrefix: 'k:',
      bullmqPrefix: '{q}',
      worker: {
        concurrency: 7,
        lockDurationMs: 2000,
        stalledIntervalMs: 1500,
        maxStalledCount: 5,
        drainTimeoutMs: 3000,
      },
      writes: { zaddChunk: 123, maxTickers: 4567 },
      retention: { days: 30, intervalMs: 86_400_000 },
      summaryIntervalMs: 30_000,
    });
  });
});
