import { ConfigError } from '@tickpulse/contracts';
import { configWarnings } from '@tickpulse/service-kit';
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
    expect(c.SUMMARY_INTERVAL).toBe(300_000);
    expect(c.WORKER_CONCURRENCY).toBe(4);
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
      SUMMARY_INTERVAL: '30s',
      BULLMQ_PREFIX: '{tickpulse}',
    });
    expect(c.TICK_RETENTION_DAYS).toBe(30);
    expect(c.TICK_RETENTION_INTERVAL).toBe(86_400_000);
    expect(c.TICK_WRITER_LOCK_DURATION_MS).toBe(2000);
    expect(c.TICK_WRITER_STALLED_INTERVAL_MS).toBe(1000);
    expect(c.SUMMARY_INTERVAL).toBe(30_000);
    expect(c.BULLMQ_PREFIX).toBe('{tickpulse}');
  });

  it('lists every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        TICK_RETENTION_DAYS: '0',
        WORKER_CONCURRENCY: 'many',
        TICK_RETENTION_INTERVAL: 'daily',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('TICK_RETENTION_DAYS');
    expect(problems).toContain('WORKER_CONCURRENCY');
    expect(problems).toContain('TICK_RETENTION_INTERVAL');
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it('rejects every duration beyond the timer limit, naming the variable and the maximum', () => {
    const tooLong = {
      SUMMARY_INTERVAL: '600h',
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
      SUMMARY_INTERVAL: '2147483647ms',
      TICK_WRITER_DRAIN_TIMEOUT_MS: '2147483647',
    });
    expect(c.SUMMARY_INTERVAL).toBe(2_147_483_647);
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

  it('reads durations in every form, a plain number in the unit of the name', () => {
    const c = loadConfig({
      TICK_RETENTION_DAYS: '36h',
      TICK_RETENTION_INTERVAL: '90000',
      TICK_WRITER_LOCK_DURATION_MS: '2s',
      SUMMARY_INTERVAL: '2d',
    });
    expect(c.TICK_RETENTION_DAYS).toBe(1.5);
    expect(c.TICK_RETENTION_INTERVAL).toBe(90_000);
    expect(c.TICK_WRITER_LOCK_DURATION_MS).toBe(2000);
    expect(c.SUMMARY_INTERVAL).toBe(2 * 86_400_000);
    expect(loadConfig({ TICK_RETENTION_DAYS: '7d' }).TICK_RETENTION_DAYS).toBe(
      7,
    );
    expect(() => loadConfig({ TICK_RETENTION_DAYS: '12h' })).toThrow(
      /TICK_RETENTION_DAYS: must be at least 1d/,
    );
    expect(() => loadConfig({ TICK_WRITER_LOCK_DURATION_MS: '2 sec' })).toThrow(
      /TICK_WRITER_LOCK_DURATION_MS: must be a duration like 250ms, 10s, 15m, 1h or 2d, or a whole number of milliseconds/,
    );
  });

  it('still reads the old names, with one deprecation line each', () => {
    const c = loadConfig({
      TICK_WRITER_CONCURRENCY: '2',
      TICK_WRITER_SUMMARY_INTERVAL: '30s',
    });
    expect(c.WORKER_CONCURRENCY).toBe(2);
    expect(c.SUMMARY_INTERVAL).toBe(30_000);
    expect(configWarnings(c)).toEqual([
      'TICK_WRITER_CONCURRENCY is deprecated: set WORKER_CONCURRENCY instead',
      'TICK_WRITER_SUMMARY_INTERVAL is deprecated: set SUMMARY_INTERVAL instead',
    ]);
  });

  it('refuses an old and a new name set to different values', () => {
    expect(() =>
      loadConfig({ TICK_WRITER_CONCURRENCY: '2', WORKER_CONCURRENCY: '3' }),
    ).toThrow(/TICK_WRITER_CONCURRENCY: set only WORKER_CONCURRENCY/);
    const same = loadConfig({
      TICK_WRITER_CONCURRENCY: '2',
      WORKER_CONCURRENCY: '2',
    });
    expect(same.WORKER_CONCURRENCY).toBe(2);
    expect(configWarnings(same)).toEqual([
      'TICK_WRITER_CONCURRENCY is deprecated: set WORKER_CONCURRENCY instead',
    ]);
  });

  it('suggests the new names for their typos', () => {
    const c = loadConfig({ SUMMARY_INTERVL: '1m', WORKER_CONCURENCY: '2' });
    expect(configWarnings(c)).toEqual([
      'SUMMARY_INTERVL is not a variable tick-writer reads (ignored): did you mean SUMMARY_INTERVAL?',
      'WORKER_CONCURENCY is not a variable tick-writer reads (ignored): did you mean WORKER_CONCURRENCY?',
    ]);
  });
});
