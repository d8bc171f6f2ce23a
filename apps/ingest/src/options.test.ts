import { loadConfig } from './config';
import {
  gapHealerOptions,
  polygonConnection,
  REST_ATTEMPTS,
  restClientOptions,
} from './options';

describe('options from config', () => {
  const config = loadConfig({
    BACKFILL_RETRY_MIN_MS: '300',
    BACKFILL_REQUEST_TIMEOUT_MS: '7000',
    BACKFILL_CONCURRENCY: '3',
    PING_INTERVAL_MS: '12000',
  });

  it('retries REST requests a fixed number of times, backing off up to 8× the first delay', () => {
    const rest = restClientOptions(config, () => {});
    expect(rest).toMatchObject({
      attempts: REST_ATTEMPTS,
      retryMinMs: 300,
      retryMaxMs: 2400,
      timeoutMs: 7000,
    });
    expect(REST_ATTEMPTS).toBe(4);
  });

  it('maps the backfill and connection settings', () => {
    expect(gapHealerOptions(config).concurrency).toBe(3);
    const polygon = polygonConnection(config);
    expect(polygon.timings.pingIntervalMs).toBe(12000);
    // Outside the regular-hours window (a Sunday), silence is normal.
    expect(polygon.inDataWindow(Date.UTC(2025, 6, 13, 15))).toBe(false);
  });
});
