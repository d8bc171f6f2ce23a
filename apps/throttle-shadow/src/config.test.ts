import { ConfigError } from '@tickpulse/contracts';
import { loadConfig } from './config';

describe('throttle-shadow config', () => {
  it('defaults: port 9104, both features off, 10 s interval', () => {
    const cfg = loadConfig({});
    expect(cfg.HTTP_PORT).toBe(9104);
    expect(cfg.THROTTLE_SHADOW_ENABLED).toBe(false);
    expect(cfg.PLANNER_API_ENABLED).toBe(false);
    expect(cfg.SHADOW_INTERVAL).toBe(10_000);
    expect(cfg.PLANNER_CLAIM_TTL).toBe(60_000);
    expect(cfg.PLANNER_GLOBAL_CHUNK).toBe(5000);
    expect(cfg.DATABASE_URL).toBe(
      'postgres://postgres@127.0.0.1:5432/postgres',
    );
  });

  it.each([
    ['true', true],
    ['false', false],
    ['1', true],
    ['0', false],
  ])('reads THROTTLE_SHADOW_ENABLED=%s as %s', (value, expected) => {
    expect(
      loadConfig({ THROTTLE_SHADOW_ENABLED: value }).THROTTLE_SHADOW_ENABLED,
    ).toBe(expected);
  });

  it('rejects a flag that is not a boolean', () => {
    expect(() => loadConfig({ THROTTLE_SHADOW_ENABLED: 'maybe' })).toThrow(
      /THROTTLE_SHADOW_ENABLED/,
    );
  });

  it('takes a positive PLANNER_GLOBAL_CHUNK and refuses anything else', () => {
    expect(
      loadConfig({ PLANNER_GLOBAL_CHUNK: '200' }).PLANNER_GLOBAL_CHUNK,
    ).toBe(200);
    for (const bad of ['0', '-5', '1.5', 'lots'])
      expect(() => loadConfig({ PLANNER_GLOBAL_CHUNK: bad })).toThrow(
        /PLANNER_GLOBAL_CHUNK/,
      );
  });

  it('refuses to serve the API without a token', () => {
    let err: unknown;
    try {
      loadConfig({ PLANNER_API_ENABLED: 'true' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.join('\n')).toMatch(
      /API_TOKEN: is required/,
    );
  });

  it('serves the API unauthenticated only when asked to', () => {
    const cfg = loadConfig({
      PLANNER_API_ENABLED: 'true',
      ALLOW_UNAUTHENTICATED: 'true',
    });
    expect(cfg.API_TOKEN).toBeUndefined();
    expect(cfg.ALLOW_UNAUTHENTICATED).toBe(true);
  });

  it('lists every bad variable at once and never echoes the token', () => {
    let err: unknown;
    try {
      loadConfig({
        SHADOW_INTERVAL: 'soon',
        API_TOKEN: 'short',
        DATABASE_URL: 'mysql://x',
      });
    } catch (e) {
      err = e;
    }
    const text = (err as ConfigError).problems.join('\n');
    expect(text).toMatch(/SHADOW_INTERVAL/);
    expect(text).toMatch(/API_TOKEN: must be at least 16/);
    expect(text).toMatch(/DATABASE_URL/);
    expect(text).not.toMatch(/short/);
  });

  it('rejects every duration beyond the timer limit, naming the variable and the maximum', () => {
    const tooLong = { SHADOW_INTERVAL: '600h', PLANNER_CLAIM_TTL: '2147484s' };
    for (const name of Object.keys(tooLong))
      expect(() => loadConfig(tooLong)).toThrow(
        new RegExp(`${name}: must be at most 2147483647 ms`),
      );
    expect(loadConfig({ SHADOW_INTERVAL: '596h' }).SHADOW_INTERVAL).toBe(
      596 * 3_600_000,
    );
  });
});
