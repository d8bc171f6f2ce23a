/**
 * The REST API key never reaches a log line: ingest's whole pino output at
 * trace level, through backfills that page with `next_url` and meet 500,
 * 429 and 401, is searched for the key, raw and URL-encoded.
 */
import { randomBytes } from 'node:crypto';
import { waitFor } from '@tickpulse/testkit';
import { captureLogs, startHarness, type Harness } from './helpers';

const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);

describe('the Polygon key in logs', () => {
  let h: Harness | undefined;
  afterAll(() => h?.close());

  it('never appears in any log line of a full backfill with 500, 429 and 401 answers', async () => {
    // Characters that URL-encoding changes, so both spellings are distinct.
    const key = `Pk${randomBytes(12).toString('base64')}+/=`;
    const logs = captureLogs('trace');
    h = await startHarness({
      logger: logs.logger,
      sim: { apiKeys: [key], tickers: 20, restPageSize: 2 },
      env: {
        POLYGON_API_KEY: key,
        BACKFILL_RETRY_MIN_MS: '10',
        BACKFILL_CONCURRENCY: '1',
      },
    });
    const r = h.replicas[0]!;
    await waitFor(() => r.ingest.status().state === 'streaming', {
      timeoutMs: 15_000,
    });
    const sym = (k: number) => h!.sim.tickers[k]!.sym;
    const t0 = Date.now() - 5000;
    // Ticker 1 heals from the snapshot; ticker 2's eligible print lies
    // below five odd lots: three /v3/trades pages of two.
    h.sim.addPrints([
      { sym: sym(1), sipNs: ns(t0 + 10) },
      { sym: sym(2), sipNs: ns(t0 + 20) },
      ...[1, 2, 3, 4, 5].map(j => ({
        sym: sym(2),
        sipNs: ns(t0 + 20 + j),
        conditions: [37],
      })),
    ]);
    h.sim.injectRestFault('server_error', 1, 'snapshot');
    h.sim.injectRestFault('rate_limit', 1, 'trades');
    expect(await r.ingest.backfill({ since: t0 })).toMatchObject({
      outcome: 'healed',
      fromSnapshot: expect.any(Number),
      fromTrades: 1,
    });
    h.sim.injectRestFault('unauthorized', 1);
    expect(await r.ingest.backfill({ since: t0 })).toMatchObject({
      outcome: 'unauthorized',
    });
    expect(h.sim.stats().restRequests).toMatchObject({
      'snapshot 500': 1,
      'trades 429': 1,
      'trades 200': 3,
      'snapshot 401': 1,
    });

    const text = logs.text();
    // The run logged plenty (backfill reports, retries, the 401 warning).
    expect(logs.lines('connecting to Polygon')).toHaveLength(1);
    expect(text).toContain('"outcome":"unauthorized"');
    expect(text).toContain('"outcome":"healed"');
    for (const spelling of [
      key,
      encodeURIComponent(key),
      key.slice(0, -3), // the key without its URL-special tail
    ])
      expect(text.includes(spelling)).toBe(false);
  });
});
