import { ConfigError } from '@tickpulse/contracts';
import { configWarnings } from '@tickpulse/service-kit';
import { loadConfig } from './config';

describe('universe-sync config', () => {
  it('refuses to start without API_TOKEN unless explicitly unauthenticated', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/API_TOKEN: is required/);
    expect(() => loadConfig({ ALLOW_UNAUTHENTICATED: 'false' })).toThrow(
      /API_TOKEN/,
    );
    expect(
      loadConfig({ ALLOW_UNAUTHENTICATED: 'true' }).API_TOKEN,
    ).toBeUndefined();
  });

  it('has the documented defaults', () => {
    const c = loadConfig({ API_TOKEN: 'a'.repeat(32) });
    expect(c).toMatchObject({
      HTTP_PORT: 9103,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      RECONCILE_INTERVAL: 15 * 60_000,
      LISTEN_NOTIFY: true,
      PG_NOTIFY_CHANNEL: 'tickpulse_strategies',
      ALLOW_UNAUTHENTICATED: false,
      REDIS_FOOTPRINT_INTERVAL: 60_000,
      REDIS_FOOTPRINT_BUDGET_BYTES: 400_000_000,
    });
    expect(
      loadConfig({ API_TOKEN: 'a'.repeat(32), LISTEN_NOTIFY: 'false' })
        .LISTEN_NOTIFY,
    ).toBe(false);
  });

  it('lists every bad variable without echoing the token', () => {
    let err: unknown;
    try {
      loadConfig({
        API_TOKEN: 'short-secret',
        PG_NOTIFY_CHANNEL: 'Bad-Name',
        RECONCILE_INTERVAL: 'soon',
        REDIS_FOOTPRINT_BUDGET_BYTES: '-5',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/API_TOKEN/);
    expect(msg).toMatch(/PG_NOTIFY_CHANNEL/);
    expect(msg).toMatch(/RECONCILE_INTERVAL/);
    expect(msg).toMatch(/REDIS_FOOTPRINT_BUDGET_BYTES/);
    expect(msg).not.toMatch(/short-secret/);
  });

  it('rejects every duration beyond the timer limit, naming the variable and the maximum', () => {
    const tooLong = {
      ALLOW_UNAUTHENTICATED: 'true',
      RECONCILE_INTERVAL: '600h',
      PG_CONNECT_TIMEOUT: '35792m',
    };
    for (const name of ['RECONCILE_INTERVAL', 'PG_CONNECT_TIMEOUT'])
      expect(() => loadConfig(tooLong)).toThrow(
        new RegExp(`${name}: must be at most 2147483647 ms`),
      );
  });

  it('reads the deprecated API_BODY_LIMIT as HTTP_BODY_LIMIT_BYTES, with a warning', () => {
    const base = { ALLOW_UNAUTHENTICATED: 'true' };
    expect(loadConfig(base).HTTP_BODY_LIMIT_BYTES).toBe(4096);
    const old = loadConfig({ ...base, API_BODY_LIMIT: '8192' });
    expect(old.HTTP_BODY_LIMIT_BYTES).toBe(8192);
    expect(configWarnings(old)).toEqual([
      'API_BODY_LIMIT is deprecated: set HTTP_BODY_LIMIT_BYTES instead',
    ]);
    const current = loadConfig({ ...base, HTTP_BODY_LIMIT_BYTES: '8192' });
    expect(current.HTTP_BODY_LIMIT_BYTES).toBe(8192);
    expect(configWarnings(current)).toEqual([]);
    expect(() => loadConfig({ ...base, API_BODY_LIMIT: '100' })).toThrow(
      /HTTP_BODY_LIMIT_BYTES/,
    );
    expect(() =>
      loadConfig({
        ...base,
        API_BODY_LIMIT: '4096',
        HTTP_BODY_LIMIT_BYTES: '8192',
      }),
    ).toThrow(/API_BODY_LIMIT: set only HTTP_BODY_LIMIT_BYTES/);
  });

  it('bounds the notified ids waiting to be enqueued (1000 by default)', () => {
    const base = { ALLOW_UNAUTHENTICATED: 'true' };
    expect(loadConfig(base).NOTIFY_MAX_PENDING).toBe(1000);
    expect(
      loadConfig({ ...base, NOTIFY_MAX_PENDING: '50' }).NOTIFY_MAX_PENDING,
    ).toBe(50);
    for (const bad of ['0', '-1', '1.5', 'lots'])
      expect(() => loadConfig({ ...base, NOTIFY_MAX_PENDING: bad })).toThrow(
        /NOTIFY_MAX_PENDING/,
      );
  });
});
