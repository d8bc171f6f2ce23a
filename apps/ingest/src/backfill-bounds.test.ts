import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BACKEND_POLICY, DEFAULT_TIMESTAMP_BOUNDS } from '@tickpulse/polygon';
import { MAX_PAGES_PER_LOOKUP, runBackfill } from './backfill';
import { createRestClient, RestRequestError } from './rest-client';

const NOW = 1_800_000_100_000;
const GAP_START = 1_800_000_000_000;

/** A snapshot whose tickers' last prints are in the gap but not eligible: each needs a lookup. */
const snapshot = (tickers: number) =>
  JSON.stringify({
    status: 'OK',
    tickers: Array.from({ length: tickers }, (_, i) => ({
      ticker: `T${i}`,
      lastTrade: { c: [37], t: 1800000000600000000 },
    })),
  });

describe('REST bounds of a backfill (real HTTP)', () => {
  let server: Server;
  let base: string;
  let handle: (url: string) => {
    status: number;
    body: string;
    headers?: Record<string, string>;
    delayMs?: number;
  };
  const urls: string[] = [];

  beforeEach(async () => {
    urls.length = 0;
    server = createServer((req, res) => {
      urls.push(req.url ?? '');
      const a = handle(req.url ?? '');
      setTimeout(() => {
        res.writeHead(a.status, {
          'content-type': 'application/json',
          ...a.headers,
        });
        res.end(a.body);
      }, a.delayMs ?? 0);
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise(r => server.close(r));
  });

  const rest = () =>
    createRestClient({
      baseUrl: base,
      apiKey: 'secret-key',
      timeoutMs: 2000,
      attempts: 2,
      retryMinMs: 1,
      retryMaxMs: 5,
      maxBodyBytes: 1024 * 1024,
      onResponse: () => undefined,
    });
  const backfill = (deadlineMs = 60_000) =>
    runBackfill(GAP_START, {
      rest: rest(),
      policy: BACKEND_POLICY,
      bounds: DEFAULT_TIMESTAMP_BOUNDS,
      concurrency: 1,
      pageLimit: 1000,
      budget: 10_000,
      deadlineMs,
      add: () => undefined,
      now: () => NOW,
    });

  it('does not follow a redirect, to another host or anywhere', async () => {
    const other = createServer((_req, res) => res.end('{"tickers":[]}'));
    await new Promise<void>(r => other.listen(0, '127.0.0.1', r));
    let otherHits = 0;
    other.on('request', () => otherHits++);
    const elsewhere = `http://127.0.0.1:${(other.address() as AddressInfo).port}/v2/snapshot`;
    handle = () => ({
      status: 302,
      body: '',
      headers: { location: elsewhere },
    });
    try {
      const err = await rest()
        .get('snapshot', '/v2/snapshot', { remaining: 5 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RestRequestError);
      expect((err as RestRequestError).lastStatus).toBe('302');
      expect(urls).toHaveLength(1);
      expect(otherHits).toBe(0);
    } finally {
      await new Promise(r => other.close(r));
    }
  });

  it('stops a lookup whose next_url leads back to a page it read', async () => {
    handle = url =>
      url.startsWith('/v2/')
        ? { status: 200, body: snapshot(1) }
        : {
            status: 200,
            body: JSON.stringify({
              results: [],
              next_url: `${base}/v3/trades/T0?cursor=same`,
            }),
          };
    const result = await backfill();
    expect(result).toMatchObject({ outcome: 'partial', unresolved: 1 });
    expect(result.error).toMatch(/next_url_loop/);
    // The snapshot, the first page, the cursor page once.
    expect(urls).toHaveLength(3);
  });

  it('stops a lookup after MAX_PAGES_PER_LOOKUP pages', async () => {
    let cursor = 0;
    handle = url =>
      url.startsWith('/v2/')
        ? { status: 200, body: snapshot(1) }
        : {
            status: 200,
            body: JSON.stringify({
              results: [],
              next_url: `${base}/v3/trades/T0?cursor=${++cursor}`,
            }),
          };
    const result = await backfill();
    expect(result.error).toMatch(/too_many_pages/);
    expect(urls).toHaveLength(1 + MAX_PAGES_PER_LOOKUP);
  });

  it('ends the whole run at its deadline, however slowly each answer comes', async () => {
    // 40 lookups of 300 ms each, one at a time: 12 s without a deadline.
    handle = url =>
      url.startsWith('/v2/')
        ? { status: 200, body: snapshot(40) }
        : { status: 200, body: '{"results":[]}', delayMs: 300 };
    const result = await backfill(2000);
    expect(result.outcome).toBe('partial');
    expect(result.error).toBe('deadline of 2000 ms passed');
    expect(result.lookedUp).toBe(40);
    expect(result.unresolved).toBeGreaterThan(0);
    expect(urls.length).toBeLessThan(41);
  });
});
