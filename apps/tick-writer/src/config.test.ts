import { ConfigError } from '@tickpulse/shared';
import { DEFAULT_HTTP_PORT, loadConfig } from './config';

describe('tick-writer configuration', () => {
  it('has working defaults for every variable', () => {
    const c = loadConfig({});
    expect(c.HTTP_PORT).toBe(DEFAULT_HTTP_PORT);
    expect(c.HTTP_PORT).toBe(9102);
    expect(c.BULLMQ_PREFIX).toBe('bull');
    expect(c.REDIS_KEY_PREFIX).toBe('');
    expect(c.TICK_RETENTION_DAYS).toBe(90);
    expect(c.TICK_RETENTION_INTERVAL).toBe(3_600_000);
    expect(c.TICK_WRITER_SUMMARY_INTERVAL).toBe(300_000);
    expect(c.TICK_WRITER_CONCURRENCY).toBe(4);
    expect(c.TICK_WRITER_ZADD_CHUNK).toBe(500);
    expect(c.TICK_WRITER_LOCK_DURATION_MS).toBe(10_000);
    expect(c.TICK_WRITER_STALLED_INTERVAL_MS).toBe(10_000);
    expect(c.TICK_WRITER_MAX_STALLED_COUNT).toBe(3);
    expect(c.TICK_WRITER_DRAIN_TIMEOUT_MS).toBe(10_000);
  });

  it('parses given values', () => {
    const c = loadConfig({
      TICK_RETENTION_DAYS: '30',
      TICK_RETENTION_INTERVAL: '24h',
      TICK_WRITER_LOCK_DURATION_MS: '2000',
      TICK_WRITER_STALLED_INTERVAL_MS: '1000',
      TICK_WRITER_SUMMARY_INTERVAL: '30s',
      BULLMQ_PREFIX: '{tickpulse}',
    });
    expect(c.TICK_RETENTION_DAYS).toBe(30);
    expect(c.TICK_RETENTION_INTERVAL).toBe(86_400_000);
    expect(c.TICK_WRITER_LOCK_DURATION_MS).toBe(2000);
    expect(c.TICK_WRITER_STALLED_INTERVAL_MS).toBe(1000);
    expect(c.TICK_WRITER_SUMMARY_INTERVAL).toBe(30_000);
    expect(c.BULLMQ_PREFIX).toBe('{tickpulse}');
  });

  it('lists every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        TICK_RETENTION_DAYS: '0',
        TICK_WRITER_CONCURRENCY: 'many',
        TICK_RETENTION_INTERVAL: 'daily',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('TICK_RETENTION_DAYS');
    expect(problems).toContain('TICK_WRITER_CONCURRENCY');
    expect(problems).toContain('TICK_RETENTION_INTERVAL');
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it('rejects every duration beyond the timer limit, naming the variable and the maximum', () => {
    const tooLong = {
      TICK_WRITER_SUMMARY_INTERVAL: '600h',
      TICK_RETENTION_INTERVAL: '2147483648',
      TICK_WRITER_LOCK_DURATION_MS: '2147483648',
      TICK_WRITER_STALLED_INTERVAL_MS: '9999999999',
      TICK_WRITER_DRAIN_TIMEOUT_MS: '2147483648',
    };
    for (const name of Object.keys(tooLong))
      expect(() => loadConfig(tooLong)).toThrow(
        new RegExp(`${name}: must be at most 2147483647 ms`),
      );
    expect(() => loadConfig({ TICK_RETENTION_DAYS: '3651' })).toThrow(
      /TICK_RETENTION_DAYS: must be at most 3650/,
    );
  });

  it('accepts a duration at the timer limit', () => {
    const c = loadConfig({
      TICK_WRITER_SUMMARY_INTERVAL: '2147483647ms',
      TICK_WRITER_DRAIN_TIMEOUT_MS: '2147483647',
    });
    expect(c.TICK_WRITER_SUMMARY_INTERVAL).toBe(2_147_483_647);
    expect(c.TICK_WRITER_DRAIN_TIMEOUT_MS).toBe(2_147_483_647);
  });

  it('caps TICK:UPD at 100 000 tickers by default', () => {
    expect(loadConfig({}).TICK_WRITER_MAX_TICKERS).toBe(100_000);
    expect(
      loadConfig({ TICK_WRITER_MAX_TICKERS: '20000' }).TICK_WRITER_MAX_TICKERS,
    ).toBe(20_000);
    expect(() => loadConfig({ TICK_WRITER_MAX_TICKERS: '0' })).toThrow(
      /TICK_WRITER_MAX_TICKERS/,
    );
  });
});
