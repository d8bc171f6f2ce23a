import { loadConfig } from './config';
import { throttleShadowOptions } from './options';

describe('throttle-shadow options', () => {
  it('maps every variable to its option', () => {
    const options = throttleShadowOptions(
      loadConfig({
        REDIS_KEY_PREFIX: 'shadow:',
        THROTTLE_SHADOW_ENABLED: 'true',
        SHADOW_INTERVAL: '7s',
        DATABASE_URL: 'postgres://u@db.example:5433/strategies',
        COMPARE_ENABLED: 'false',
        COMPARE_REFERENCE_PREFIX: 'ref:',
        COMPARE_INTERVAL: '45s',
        PLANNER_API_ENABLED: 'true',
        API_TOKEN: 'options-test-token-0123456789',
        API_RATE_LIMIT: '321',
        PLANNER_CLAIM_TTL: '90s',
        PLANNER_GLOBAL_CHUNK: '1234',
        HTTP_PORT: '9555',
        HTTP_BODY_LIMIT_BYTES: '65536',
        TRUST_PROXY: '10.0.0.0/8,loopback',
      }),
    );
    expect(options).toEqual({
      keyPrefix: 'shadow:',
      shadow: {
        enabled: true,
        intervalMs: 7000,
        databaseUrl: 'postgres://u@db.example:5433/strategies',
      },
      compare: { enabled: false, referencePrefix: 'ref:', intervalMs: 45_000 },
      planner: { globalChunk: 1234 },
      plannerApi: {
        enabled: true,
        apiToken: 'options-test-token-0123456789',
        defaultClaimTtlMs: 90_000,
        rateLimitPerMinute: 321,
      },
      http: {
        port: 9555,
        bodyLimit: 65_536,
        trustProxy: ['10.0.0.0/8', 'loopback'],
      },
    });
  });

  // The first case cannot tell the three flags apart where they agree; this
  // one flips each, and covers the API without a token.
  it('maps each flag on its own, and no token to null', () => {
    const options = throttleShadowOptions(
      loadConfig({
        REDIS_KEY_PREFIX: 'a:',
        THROTTLE_SHADOW_ENABLED: 'false',
        COMPARE_ENABLED: 'true',
        COMPARE_REFERENCE_PREFIX: 'b:',
        PLANNER_API_ENABLED: 'false',
      }),
    );
    expect(options.shadow.enabled).toBe(false);
    expect(options.compare.enabled).toBe(true);
    expect(options.plannerApi.enabled).toBe(false);
    expect(options.plannerApi.apiToken).toBeNull();
  });
});
