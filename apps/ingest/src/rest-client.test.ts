import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createRestClient,
  RestAuthError,
  RestBudgetError,
  RestRequestError,
} from './rest-client';

describe('REST client', () => {
  let server: Server;
  let base: string;
  const seen: IncomingMessage[] = [];
  /** status, body, and whether to send it chunked (no content-length). */
  let answers: [number, string, boolean?][] = [];

  beforeEach(async () => {
    seen.length = 0;
    server = createServer((req, res) => {
      seen.push(req);
      const [status, body, chunked] = answers.shift() ?? [200, '{}'];
      if (status === 0) return; // never answers
      res.writeHead(status, { 'content-type': 'application/json' });
      if (chunked)
        for (let i = 0; i < body.length; i += 64 * 1024)
          res.write(body.slice(i, i + 64 * 1024));
      res.end(chunked ? undefined : body);
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise(r => server.close(r));
  });

  // A generous deadline by default: on a loaded machine an answered request
  // can take longer than a short one, and would be counted as a timeout.
  // Only the part about timeouts uses a short deadline, on a server that
  // never answers.
  const client = (statuses: string[] = [], timeoutMs = 30_000) =>
    createRestClient({
      baseUrl: base,
      apiKey: 'secret-key',
      timeoutMs,
      attempts: 3,
      retryMinMs: 1,
      retryMaxMs: 5,
      maxBodyBytes: 1024 * 1024,
      onResponse: (endpoint, status) => statuses.push(`${endpoint} ${status}`),
    });

  it('sends the key only as a Bearer header and requests next_url on the configured host', async () => {
    answers = [[200, '{"results":[],"t":1800000000123999999}']];
    const body = await client().get(
      'trades',
      'http://elsewhere.example:1/v3/trades/AAPL?cursor=abc&apiKey=leaked',
      { remaining: 5 },
    );
    expect(body.t).toBe('1800000000123999999');
    expect(seen[0]!.url).toBe('/v3/trades/AAPL?cursor=abc');
    expect(seen[0]!.headers.authorization).toBe('Bearer secret-key');
  });

  it('retries 503, malformed bodies and timeouts within the budget; 401/403 stop at once', async () => {
    const statuses: string[] = [];
    answers = [
      [503, '{}'],
      [200, '{"status":"OK","results":[{"t":17'],
      [200, '{"status":"OK"}'],
    ];
    const budget = { remaining: 10 };
    await expect(
      client(statuses).get('snapshot', '/x', budget),
    ).resolves.toEqual({
      status: 'OK',
    });
    expect(statuses).toEqual([
      'snapshot 503',
      'snapshot malformed',
      'snapshot 200',
    ]);
    expect(budget.remaining).toBe(7);

    answers = [
      [0, ''],
      [0, ''],
      [0, ''],
    ];
    await expect(
      client(statuses, 300).get('trades', '/y', budget),
    ).rejects.toThrow(RestRequestError);
    expect(statuses.slice(-3)).toEqual([
      'trades timeout',
      'trades timeout',
      'trades timeout',
    ]);

    answers = [[403, '{"status":"NOT_AUTHORIZED"}']];
    await expect(client().get('snapshot', '/z', budget)).rejects.toThrow(
      RestAuthError,
    );
    answers = [[404, '{}']];
    await expect(client().get('snapshot', '/z', budget)).rejects.toThrow(
      RestRequestError,
    );
    await expect(
      client().get('snapshot', '/z', { remaining: 0 }),
    ).rejects.toThrow(RestBudgetError);
  });

  it('refuses a body past maxBodyBytes, declared or streamed, without parsing or retrying it', async () => {
    const huge = `{"tickers":[${Array(80_000).fill('{"ticker":"AAPL"}').join(',')}]}`;
    expect(huge.length).toBeGreaterThan(1024 * 1024);
    for (const chunked of [false, true]) {
      const statuses: string[] = [];
      answers = [[200, huge, chunked]];
      const budget = { remaining: 10 };
      const err = await client(statuses)
        .get('snapshot', '/x', budget)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RestRequestError);
      expect((err as Error).message).toBe(
        'Polygon REST snapshot failed (last: too_large)',
      );
      expect(statuses).toEqual(['snapshot too_large']);
      expect(budget.remaining).toBe(9);
    }
  });

  it('refuses a deeply nested body without JSON.parse', async () => {
    answers = [[200, `{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`]];
    const statuses: string[] = [];
    const parse = jest.spyOn(JSON, 'parse');
    try {
      await expect(
        client(statuses).get('trades', '/x', { remaining: 5 }),
      ).rejects.toThrow('Polygon REST trades failed (last: too_deep)');
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    expect(statuses).toEqual(['trades too_deep']);
  });
});
