import { z } from 'zod';
import {
  baseEnvSchema,
  durationMs,
  loadConfig,
  MAX_DURATION_MS,
  milliseconds,
} from './config';
import { ConfigError } from './errors';

const schema = z.object({
  ...baseEnvSchema(9000),
  FLAG: z.stringbool().default(false),
  API_TOKEN: z.string().min(16),
  EVERY: durationMs('15m'),
});

describe('loadConfig', () => {
  it('applies defaults', () => {
    const c = loadConfig(schema, { API_TOKEN: 'x'.repeat(16) });
    expect(c).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379',
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
      loadConfig(schema, { API_TOKEN: 'x'.repeat(16), HTTP_PORT: '' })
        .HTTP_PORT,
    ).toBe(9000);
  });

  it('reads "false" as false, not as a truthy string', () => {
    expect(
      loadConfig(schema, { API_TOKEN: 'x'.repeat(16), FLAG: 'false' }).FLAG,
    ).toBe(false);
    expect(
      loadConfig(schema, { API_TOKEN: 'x'.repeat(16), FLAG: 'true' }).FLAG,
    ).toBe(true);
  });

  it('parses durations', () => {
    const base = { API_TOKEN: 'x'.repeat(16) };
    expect(loadConfig(schema, { ...base, EVERY: '30s' }).EVERY).toBe(30_000);
    expect(loadConfig(schema, { ...base, EVERY: '250' }).EVERY).toBe(250);
    expect(loadConfig(schema, { ...base, EVERY: '1h' }).EVERY).toBe(3_600_000);
  });

  it('lists every bad or missing variable in one error', () => {
    let caught: unknown;
    try {
      loadConfig(
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
      loadConfig(schema, {
        API_TOKEN: 'short-secret',
        REDIS_URL: 'redis://:hunter2@ho st',
      });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as Error).message).not.toContain('short-secret');
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
});

describe('duration bounds', () => {
  const bounded = z.object({
    EVERY: durationMs('15m'),
    WAIT_MS: milliseconds(1000),
  });

  it('accepts MAX_DURATION_MS (2^31 − 1), the longest delay Node timers honour', () => {
    expect(MAX_DURATION_MS).toBe(2 ** 31 - 1);
    expect(
      loadConfig(bounded, { EVERY: '2147483647', WAIT_MS: '2147483647' }),
    ).toEqual({ EVERY: MAX_DURATION_MS, WAIT_MS: MAX_DURATION_MS });
  });

  it('rejects anything longer, naming the variable and the maximum', () => {
    for (const env of [
      { EVERY: '600h' },
      { EVERY: '2147483648ms' },
      { EVERY: '99999999999999999999999h' },
      { WAIT_MS: '2147483648' },
      { WAIT_MS: '1e12' },
    ]) {
      const name = Object.keys(env)[0]!;
      expect(() => loadConfig(bounded, env)).toThrow(
        new RegExp(`${name}: must be at most 2147483647 ms`),
      );
    }
  });

  it('rejects zero and fractions of a millisecond', () => {
    expect(() => loadConfig(bounded, { WAIT_MS: '0' })).toThrow(/WAIT_MS/);
    expect(() => loadConfig(bounded, { WAIT_MS: '1.5' })).toThrow(/WAIT_MS/);
    expect(() => loadConfig(bounded, { EVERY: '0s' })).toThrow(
      /EVERY: must be greater than zero/,
    );
  });
});
