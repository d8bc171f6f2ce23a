import { z } from 'zod';
import {
  baseEnvSchema,
  configWarnings,
  duration,
  durationForms,
  parseDurationMs,
  parseEnv,
  MAX_DURATION_MS,
  milliseconds,
  redisTarget,
} from './config';
import { ConfigError } from '@tickpulse/contracts';

const schema = z.object({
  ...baseEnvSchema(9000),
  FLAG: z.stringbool().default(false),
  API_TOKEN: z.string().min(16),
  EVERY: duration('15m'),
});

describe('parseEnv', () => {
  it('warns about a misspelled variable and still starts on the defaults', () => {
    const c = parseEnv(
      schema,
      {
        API_TOKEN: 'x'.repeat(16),
        REDIS_ULR: 'redis://10.0.0.1:6379',
        HOME: '/root',
      },
      'ingest',
    );
    expect(redisTarget(c)).toEqual({
      mode: 'standalone',
      url: 'redis://127.0.0.1:6379',
    });
    expect(configWarnings(c)).toEqual([
      'REDIS_ULR is not a variable ingest reads (ignored): did you mean REDIS_URL?',
    ]);
  });

  it('lists a misspelling among the problems when the configuration is invalid', () => {
    expect(() =>
      parseEnv(schema, { API_TOKNE: 'x'.repeat(16) }, 'universe-sync'),
    ).toThrow(
      /API_TOKEN: .*\(not set\)\n {2}- API_TOKNE is not a variable universe-sync reads \(ignored\): did you mean API_TOKEN\?/,
    );
  });

  it('applies defaults', () => {
    const c = parseEnv(schema, { API_TOKEN: 'x'.repeat(16) });
    expect(redisTarget(c)).toEqual({
      mode: 'standalone',
      url: 'redis://127.0.0.1:6379',
    });
    expect(c).toMatchObject({
      LOG_LEVEL: 'info',
      HTTP_PORT: 9000,
      REDIS_KEY_PREFIX: '',
      BULLMQ_PREFIX: 'bull',
      FLAG: false,
      EVERY: 900_000,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(
      parseEnv(schema, { API_TOKEN: 'x'.repeat(16), HTTP_PORT: '' }).HTTP_PORT,
    ).toBe(9000);
  });

  it('reads "false" as false, not as a truthy string', () => {
    expect(
      parseEnv(schema, { API_TOKEN: 'x'.repeat(16), FLAG: 'false' }).FLAG,
    ).toBe(false);
    expect(
      parseEnv(schema, { API_TOKEN: 'x'.repeat(16), FLAG: 'true' }).FLAG,
    ).toBe(true);
  });

  it('parses durations', () => {
    const base = { API_TOKEN: 'x'.repeat(16) };
    expect(parseEnv(schema, { ...base, EVERY: '30s' }).EVERY).toBe(30_000);
    expect(parseEnv(schema, { ...base, EVERY: '250' }).EVERY).toBe(250);
    expect(parseEnv(schema, { ...base, EVERY: '1h' }).EVERY).toBe(3_600_000);
  });

  it('lists every bad or missing variable in one error', () => {
    let caught: unknown;
    try {
      parseEnv(
        schema,
        {
          REDIS_URL: 'http://nope',
          LOG_LEVEL: 'loud',
          HTTP_PORT: '70000',
          FLAG: 'maybe',
          EVERY: 'soon',
        },
        'demo',
      );
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const e = caught as ConfigError;
    const named = e.problems.map(p => p.split(':')[0]);
    expect(named.sort()).toEqual(
      [
        'API_TOKEN',
        'EVERY',
        'FLAG',
        'HTTP_PORT',
        'LOG_LEVEL',
        'REDIS_URL',
      ].sort(),
    );
    expect(e.message).toContain('invalid configuration for demo');
    expect(e.message).toContain('API_TOKEN');
    expect(e.message).toContain('not set');
  });

  it('never echoes a secret value in the error', () => {
    try {
      parseEnv(schema, {
        API_TOKEN: 'short-secret',
        REDIS_URL: 'redis://:hunter2@ho st',
      });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as Error).message).not.toContain('short-secret');
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  describe('Redis topology', () => {
    const base = { API_TOKEN: 'x'.repeat(16) };
    const problems = (env: Record<string, string>) => {
      try {
        parseEnv(schema, { ...base, ...env });
      } catch (err) {
        return (err as ConfigError).problems;
      }
      return [];
    };

    it('keeps REDIS_URL as given: TLS and credentials in the URL', () => {
      const c = parseEnv(schema, {
        ...base,
        REDIS_URL: 'rediss://app:s3cret@redis.example:6380/0',
      });
      expect(redisTarget(c)).toEqual({
        mode: 'standalone',
        url: 'rediss://app:s3cret@redis.example:6380/0',
      });
      expect(c.BULLMQ_PREFIX).toBe('bull');
    });

    it('reads sentinels with the master name and both passwords', () => {
      const c = parseEnv(schema, {
        ...base,
        REDIS_SENTINELS: 'sentinel-a:26379, 10.0.0.2:26380,[::1]:26381',
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_SENTINEL_PASSWORD: 'sp',
        REDIS_PASSWORD: 'dp',
      });
      expect(redisTarget(c)).toEqual({
        mode: 'sentinel',
        sentinels: [
          { host: 'sentinel-a', port: 26379 },
          { host: '10.0.0.2', port: 26380 },
          { host: '::1', port: 26381 },
        ],
        name: 'mymaster',
        sentinelPassword: 'sp',
        password: 'dp',
      });
      expect(c.BULLMQ_PREFIX).toBe('bull');
    });

    it('reads cluster nodes and hash-tags the BullMQ prefix by default', () => {
      const c = parseEnv(schema, {
        ...base,
        REDIS_CLUSTER_NODES: 'n1:7000,n2:7001',
      });
      expect(redisTarget(c)).toEqual({
        mode: 'cluster',
        nodes: [
          { host: 'n1', port: 7000 },
          { host: 'n2', port: 7001 },
        ],
      });
      expect(c.BULLMQ_PREFIX).toBe('{tickpulse}');
      expect(
        parseEnv(schema, {
          ...base,
          REDIS_CLUSTER_NODES: 'n1:7000',
          BULLMQ_PREFIX: '{tp-staging}',
        }).BULLMQ_PREFIX,
      ).toBe('{tp-staging}');
    });

    it('names every topology mistake in one error', () => {
      expect(
        problems({
          REDIS_URL: 'redis://h:6379',
          REDIS_CLUSTER_NODES: 'n1:7000',
          BULLMQ_PREFIX: 'bull',
        }),
      ).toEqual([
        'REDIS_URL, REDIS_CLUSTER_NODES: set only one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES',
        'BULLMQ_PREFIX: must be a hash tag such as {tickpulse} on Redis Cluster (got "bull")',
      ]);
      expect(problems({ REDIS_SENTINELS: 's:26379' })).toEqual([
        'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (not set)',
      ]);
      expect(problems({ REDIS_SENTINEL_NAME: 'm' })).toEqual([
        'REDIS_SENTINEL_NAME: only meaningful with REDIS_SENTINELS (given)',
      ]);
      expect(
        problems({ REDIS_URL: 'redis://h:6379', REDIS_PASSWORD: 'pw' }),
      ).toEqual([
        'REDIS_PASSWORD: put the credentials in REDIS_URL instead (given)',
      ]);
      const bad = problems({
        REDIS_CLUSTER_NODES: 'n1:7000,n2',
        REDIS_SENTINELS: 'x:0',
      });
      expect(bad.map(p => p.split(':')[0])).toEqual(
        expect.arrayContaining(['REDIS_CLUSTER_NODES', 'REDIS_SENTINELS']),
      );
      expect(bad.join('\n')).toContain('bad entry "n2"');
    });

    it('never echoes a password', () => {
      const text = problems({
        REDIS_URL: 'redis://h:6379',
        REDIS_PASSWORD: 'hunter2',
        REDIS_SENTINEL_PASSWORD: 'hunter3',
      }).join('\n');
      expect(text).toContain('REDIS_PASSWORD');
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('hunter3');
    });
  });
});

describe('duration bounds', () => {
  const bounded = z.object({
    EVERY: duration('15m'),
    WAIT_MS: milliseconds(1000),
  });

  it('accepts MAX_DURATION_MS (2^31 − 1), the longest delay Node timers honour', () => {
    expect(MAX_DURATION_MS).toBe(2 ** 31 - 1);
    expect(
      parseEnv(bounded, { EVERY: '2147483647', WAIT_MS: '2147483647' }),
    ).toEqual({ EVERY: MAX_DURATION_MS, WAIT_MS: MAX_DURATION_MS });
  });

  it('rejects anything longer, naming the variable and the maximum', () => {
    for (const env of [
      { EVERY: '600h' },
      { EVERY: '2147483648ms' },
      { EVERY: '99999999999999999999999h' },
      { WAIT_MS: '2147483648' },
      { WAIT_MS: '25d' },
    ]) {
      const name = Object.keys(env)[0]!;
      expect(() => parseEnv(bounded, env)).toThrow(
        new RegExp(`${name}: must be at most 2147483647 ms`),
      );
    }
  });

  it('rejects zero and fractions of a millisecond', () => {
    expect(() => parseEnv(bounded, { WAIT_MS: '0' })).toThrow(/WAIT_MS/);
    expect(() => parseEnv(bounded, { WAIT_MS: '1.5' })).toThrow(/WAIT_MS/);
    expect(() => parseEnv(bounded, { WAIT_MS: '1e12' })).toThrow(
      /WAIT_MS: must be a duration like/,
    );
    expect(() => parseEnv(bounded, { EVERY: '0s' })).toThrow(
      /EVERY: must be greater than zero/,
    );
  });
});

describe('one duration syntax', () => {
  const SIZE = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  // A deterministic spread of magnitudes: small, round, and near 2^31.
  const values = [0, 1, 7, 50, 250, 999, 1000, 60_000, 123_456, 2 ** 31 - 1];

  it('reads every value with every unit as value × unit', () => {
    for (const n of values)
      for (const [unit, size] of Object.entries(SIZE)) {
        expect(parseDurationMs(`${n}${unit}`)).toBe(n * size);
        expect(parseDurationMs(` ${n} ${unit} `)).toBe(n * size);
      }
  });

  it('reads a plain number in the unit the name implies', () => {
    for (const n of values) {
      expect(parseDurationMs(String(n))).toBe(n);
      expect(parseDurationMs(String(n), 'ms')).toBe(n);
      expect(parseDurationMs(String(n), 's')).toBe(n * 1000);
      expect(parseDurationMs(String(n), 'days')).toBe(n * 86_400_000);
    }
  });

  it('reads nothing else', () => {
    for (const bad of [
      '',
      'soon',
      '1.5s',
      '-1s',
      '+5s',
      '1e3',
      '10 sec',
      '5M',
      '1h30m',
      '0x10',
      's',
      '10 s s',
    ])
      expect(parseDurationMs(bad)).toBeUndefined();
  });

  it('gives the value in the unit of the name and names the accepted forms on error', () => {
    const s = z.object({
      WAIT_MS: duration('50'),
      EVERY_S: duration('5', { plain: 's' }),
      KEEP_DAYS: duration('90', { plain: 'days', maxMs: 3650 * SIZE.d }),
    });
    expect(parseEnv(s, {})).toEqual({ WAIT_MS: 50, EVERY_S: 5, KEEP_DAYS: 90 });
    expect(
      parseEnv(s, { WAIT_MS: '10s', EVERY_S: '250ms', KEEP_DAYS: '36h' }),
    ).toEqual({ WAIT_MS: 10_000, EVERY_S: 0.25, KEEP_DAYS: 1.5 });
    expect(parseEnv(s, { KEEP_DAYS: '3650' }).KEEP_DAYS).toBe(3650);
    let caught: unknown;
    try {
      parseEnv(s, {
        WAIT_MS: '50 ms please',
        EVERY_S: 'x',
        KEEP_DAYS: '3651d',
      });
    } catch (err) {
      caught = err;
    }
    expect((caught as ConfigError).problems).toEqual([
      `WAIT_MS: must be ${durationForms('ms')} (got "50 ms please")`,
      `EVERY_S: must be ${durationForms('s')} (got "x")`,
      'KEEP_DAYS: must be at most 3650d (got "3651d")',
    ]);
    expect(durationForms('s')).toBe(
      'a duration like 250ms, 10s, 15m, 1h or 2d, or a whole number of seconds',
    );
  });

  it('lets 0 through only where the variable allows it', () => {
    const s = z.object({
      OFF_MS: duration('0', { allowZero: true }),
      ON_MS: duration('1'),
    });
    expect(parseEnv(s, {})).toEqual({ OFF_MS: 0, ON_MS: 1 });
    expect(() => parseEnv(s, { ON_MS: '0s' })).toThrow(
      /ON_MS: must be greater than zero/,
    );
  });

  it('leaves an optional duration without a default unset', () => {
    const s = z.object({ MAYBE_MS: duration(undefined) });
    expect(parseEnv(s, {}).MAYBE_MS).toBeUndefined();
    expect(parseEnv(s, { MAYBE_MS: '1m' }).MAYBE_MS).toBe(60_000);
  });
});
