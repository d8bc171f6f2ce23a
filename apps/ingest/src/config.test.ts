import { ConfigError } from '@tickpulse/contracts';
import { configWarnings } from '@tickpulse/service-kit';
import { loadConfig, SIMULATOR_WS_URL } from './config';

describe('ingest config', () => {
  it('uses the local simulator when no API key is set', () => {
    const c = loadConfig({});
    expect(c.POLYGON_WS_URL).toBe(SIMULATOR_WS_URL);
    expect(c.usingSimulator).toBe(true);
    expect(c.POLYGON_SUBSCRIPTIONS).toBe('T.*');
    expect(c.CONDITION_POLICY.name).toBe('backend');
    expect(c.FLUSH_INTERVAL_MS).toBe(50);
    expect(c.TICKS_MAX_PENDING_JOBS).toBe(4);
    expect(c.HTTP_PORT).toBe(9101);
    // polygon-sim serves REST on the WebSocket's port, so backfill works there too.
    expect(c.POLYGON_REST_URL).toBe('http://127.0.0.1:9100');
    expect(c.BACKFILL_ENABLED).toBe(true);
    expect(
      loadConfig({ POLYGON_WS_URL: 'ws://localhost:4567/stocks' })
        .POLYGON_REST_URL,
    ).toBe('http://localhost:4567');
  });

  it('uses the real-time cluster when a key is set', () => {
    const c = loadConfig({
      POLYGON_API_KEY: 'k',
      CONDITION_POLICY: 'sip-last',
    });
    expect(c.POLYGON_WS_URL).toBe('wss://socket.massive.com/stocks');
    expect(c.POLYGON_REST_URL).toBe('https://api.massive.com');
    expect(c.BACKFILL_ENABLED).toBe(true);
    expect(c.usingSimulator).toBe(false);
    expect(c.CONDITION_POLICY.excluded).toContain(12);
  });

  it('turns backfill off by default on a delayed cluster, whose snapshot cannot heal a recent gap', () => {
    const delayed = loadConfig({
      POLYGON_API_KEY: 'k',
      POLYGON_WS_URL: 'wss://delayed.polygon.io/stocks',
    });
    expect(delayed.BACKFILL_ENABLED).toBe(false);
    expect(
      loadConfig({
        POLYGON_API_KEY: 'k',
        POLYGON_WS_URL: 'wss://delayed.massive.com/stocks',
        BACKFILL_ENABLED: 'true',
      }).BACKFILL_ENABLED,
    ).toBe(true);
    expect(loadConfig({ BACKFILL_ENABLED: 'false' }).BACKFILL_ENABLED).toBe(
      false,
    );
    expect(() =>
      loadConfig({ POLYGON_REST_URL: 'https://api.massive.com' }),
    ).toThrow(/POLYGON_API_KEY/);
    expect(() =>
      loadConfig({
        POLYGON_REST_URL: 'ftp://x',
        BACKFILL_CONCURRENCY: '0',
      }),
    ).toThrow(
      /POLYGON_REST_URL[\s\S]*BACKFILL_CONCURRENCY|BACKFILL_CONCURRENCY[\s\S]*POLYGON_REST_URL/,
    );
  });

  it('lists every bad variable and never echoes the key', () => {
    let err: unknown;
    try {
      loadConfig({
        CONDITION_POLICY: 'strict',
        FLUSH_INTERVAL_MS: '0',
        POLYGON_SUBSCRIPTIONS: 'Q.*',
        TICKS_MAX_PENDING_JOBS: '0',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const v of [
      'CONDITION_POLICY',
      'FLUSH_INTERVAL_MS',
      'POLYGON_SUBSCRIPTIONS',
      'TICKS_MAX_PENDING_JOBS',
    ])
      expect(msg).toContain(v);
    // Cross-field rules are checked once every variable is valid on its own.
    expect(() =>
      loadConfig({
        POLYGON_WS_URL: 'wss://socket.polygon.io/stocks',
        PING_INTERVAL_MS: '30000',
        READ_TIMEOUT_MS: '30000',
      }),
    ).toThrow(
      /READ_TIMEOUT_MS[\s\S]*POLYGON_API_KEY|POLYGON_API_KEY[\s\S]*READ_TIMEOUT_MS/,
    );
    expect(() =>
      loadConfig({ POLYGON_API_KEY: 'secret-key-123', HTTP_PORT: 'x' }),
    ).toThrow(
      expect.objectContaining({
        message: expect.not.stringContaining('secret-key-123'),
      }),
    );
  });

  it('refuses credentials in a feed URL, and plaintext to another host unless allowed', () => {
    const key = { POLYGON_API_KEY: 'k-0123456789' };
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ ...key, ...env });
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(
      problems({ POLYGON_REST_URL: 'https://user:pw@api.example.com' }),
    ).toMatch(/POLYGON_REST_URL.*must not carry credentials/);
    expect(
      problems({ POLYGON_WS_URL: 'ws://feed.example.com/stocks' }),
    ).toMatch(
      /POLYGON_WS_URL.*plaintext \(ws:\/\/\) to another host.*wss:\/\//,
    );
    expect(problems({ POLYGON_REST_URL: 'http://api.example.com' })).toMatch(
      /POLYGON_REST_URL.*plaintext/,
    );
    expect(
      problems({
        POLYGON_REST_URL: 'http://api.example.com',
        ALLOW_PLAINTEXT_FEED: 'true',
      }),
    ).toBe('');
    // This machine is not the network: the simulator stays plain.
    expect(problems({ POLYGON_WS_URL: 'ws://127.0.0.1:9100/stocks' })).toBe('');
  });

  it('accepts an explicit list of excluded condition ids', () => {
    expect(
      loadConfig({ CONDITION_POLICY: '12, 37' }).CONDITION_POLICY.excluded,
    ).toEqual([12, 37]);
  });

  it('rejects every duration beyond the timer limit, naming the variable and the maximum', () => {
    const tooLong = Object.fromEntries(
      [
        'FLUSH_INTERVAL_MS',
        'PUBLISH_TIMEOUT_MS',
        'PING_INTERVAL_MS',
        'READ_TIMEOUT_MS',
        'AUTH_TIMEOUT_MS',
        'RECONNECT_MIN_MS',
        'RECONNECT_MAX_MS',
        'HEALTHY_AFTER_MS',
        'MAX_CONNECTIONS_COOLDOWN_MS',
        'LEASE_TTL_MS',
        'LEASE_POLL_MS',
        'LEADER_STEP_DOWN_AFTER_MS',
        'TRADE_FUTURE_TOLERANCE_MS',
        'TRADE_MAX_AGE_MS',
        'SUMMARY_INTERVAL',
        'SHUTDOWN_FLUSH_MS',
      ].map(name => [name, String(600 * 3_600_000)]),
    );
    for (const name of Object.keys(tooLong))
      expect(() => loadConfig(tooLong)).toThrow(
        new RegExp(`${name}: must be at most 2147483647 ms`),
      );
    expect(
      loadConfig({ SUMMARY_INTERVAL: '2147483647' }).SUMMARY_INTERVAL,
    ).toBe(2_147_483_647);
  });

  it('steps a leader down after 60 s (or 2 × a longer lease TTL) without a live stream by default; 0 disables it', () => {
    expect(loadConfig({}).LEADER_STEP_DOWN_AFTER_MS).toBe(60_000);
    expect(
      loadConfig({ LEASE_TTL_MS: '60000' }).LEADER_STEP_DOWN_AFTER_MS,
    ).toBe(120_000);
    expect(
      loadConfig({ LEADER_STEP_DOWN_AFTER_MS: '0' }).LEADER_STEP_DOWN_AFTER_MS,
    ).toBe(0);
    expect(
      loadConfig({ LEADER_STEP_DOWN_AFTER_MS: '5001' })
        .LEADER_STEP_DOWN_AFTER_MS,
    ).toBe(5001);
  });

  it('rejects a step-down period that is not longer than the lease TTL, or not a whole number of ms', () => {
    for (const env of [
      { LEADER_STEP_DOWN_AFTER_MS: '5000' },
      { LEADER_STEP_DOWN_AFTER_MS: '1500', LEASE_TTL_MS: '2000' },
    ])
      expect(() => loadConfig(env)).toThrow(
        /LEADER_STEP_DOWN_AFTER_MS: must be 0 \(never step down\) or greater than LEASE_TTL_MS/,
      );
    for (const bad of ['-1', '1.5', 'soon'])
      expect(() => loadConfig({ LEADER_STEP_DOWN_AFTER_MS: bad })).toThrow(
        /LEADER_STEP_DOWN_AFTER_MS/,
      );
  });

  it('bounds distinct tickers and job size by default, and keeps a job within what tick-writer accepts', () => {
    const cfg = loadConfig({});
    expect(cfg.MAX_TICKERS).toBe(50_000);
    expect(cfg.TICKS_JOB_MAX_TICKERS).toBe(10_000);
    expect(() => loadConfig({ TICKS_JOB_MAX_TICKERS: '100001' })).toThrow(
      /TICKS_JOB_MAX_TICKERS[\s\S]*at most 100000/,
    );
    expect(() => loadConfig({ MAX_TICKERS: '0' })).toThrow(/MAX_TICKERS/);
  });

  it('watches for a silent feed in New York regular hours by default, and validates the window', () => {
    const cfg = loadConfig({});
    expect(cfg.DATA_IDLE_TIMEOUT_MS).toBe(60_000);
    expect(cfg.DATA_WINDOW).toEqual({
      kind: 'weekdays',
      fromMin: 570,
      toMin: 960,
    });
    expect(loadConfig({ DATA_WINDOW: 'always' }).DATA_WINDOW).toEqual({
      kind: 'always',
    });
    expect(loadConfig({ DATA_IDLE_TIMEOUT_MS: '0' }).DATA_IDLE_TIMEOUT_MS).toBe(
      0,
    );
    expect(() => loadConfig({ DATA_WINDOW: '16:00-09:30' })).toThrow(
      /DATA_WINDOW/,
    );
    expect(() => loadConfig({ DATA_IDLE_TIMEOUT_MS: '-1' })).toThrow(
      /DATA_IDLE_TIMEOUT_MS/,
    );
  });

  it('reads a *_MS variable with a unit, and a plain number there as ms', () => {
    const c = loadConfig({
      FLUSH_INTERVAL_MS: '250ms',
      PUBLISH_TIMEOUT_MS: '10s',
      BACKFILL_MAX_GAP_MS: '15m',
      TRADE_MAX_AGE_MS: '2d',
      LEASE_TTL_MS: '7000',
    });
    expect(c.FLUSH_INTERVAL_MS).toBe(250);
    expect(c.PUBLISH_TIMEOUT_MS).toBe(10_000);
    expect(c.BACKFILL_MAX_GAP_MS).toBe(900_000);
    expect(c.TRADE_MAX_AGE_MS).toBe(2 * 86_400_000);
    expect(c.LEASE_TTL_MS).toBe(7000);
    expect(
      loadConfig({ LEADER_STEP_DOWN_AFTER_MS: '2m' }).LEADER_STEP_DOWN_AFTER_MS,
    ).toBe(120_000);
    expect(
      loadConfig({ DATA_IDLE_TIMEOUT_MS: '0s' }).DATA_IDLE_TIMEOUT_MS,
    ).toBe(0);
    expect(() => loadConfig({ FLUSH_INTERVAL_MS: '50 millis' })).toThrow(
      /FLUSH_INTERVAL_MS: must be a duration like 250ms, 10s, 15m, 1h or 2d, or a whole number of milliseconds \(got "50 millis"\)/,
    );
  });

  it('still reads SUMMARY_INTERVAL_MS, as ms, with a deprecation line', () => {
    const c = loadConfig({ SUMMARY_INTERVAL_MS: '60000' });
    expect(c.SUMMARY_INTERVAL).toBe(60_000);
    expect(configWarnings(c)).toEqual([
      'SUMMARY_INTERVAL_MS is deprecated: set SUMMARY_INTERVAL instead',
    ]);
    expect(() =>
      loadConfig({ SUMMARY_INTERVAL_MS: '60000', SUMMARY_INTERVAL: '2m' }),
    ).toThrow(/SUMMARY_INTERVAL_MS: set only SUMMARY_INTERVAL/);
  });
});
