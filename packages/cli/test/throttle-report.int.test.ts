import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ThrottleReport } from '@tickpulse/throttle';
import {
  formatThrottleReport,
  throttleReportCommand,
} from '../src/throttle-report';

const tally = (
  id: number,
  goPath: ThrottleReport['strategies'][number]['goPath'],
  n: number,
) => ({
  id,
  goPath,
  legacy: { runs: 120, evaluations: 120 * n },
  goPerTicker: {
    runs: goPath === 'per-ticker' ? 7 : 0,
    evaluations: goPath === 'per-ticker' ? 7 : 0,
    lateUpdates: goPath === 'per-ticker' ? 1 : 0,
    unfilteredRuns: 0,
  },
  lossless: { runs: 8, evaluations: 8, lateUpdates: 0 },
});
const REPORT: ThrottleReport = {
  window: {
    from: Date.parse('2025-07-15T14:00:00Z'),
    to: Date.parse('2025-07-15T14:19:50Z'),
    cycles: 120,
  },
  totals: {
    legacy: { runs: 360, evaluations: 720 },
    goPerTicker: { runs: 7, evaluations: 7, lateUpdates: 1, unfilteredRuns: 0 },
    lossless: { runs: 24, evaluations: 24, lateUpdates: 0 },
  },
  strategies: [
    tally(1, 'per-ticker', 3),
    tally(6, 'disabled', 2),
    tally(7, 'invalid-timeframe', 1),
  ],
};

describe('tickpulse throttle-report', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: unknown };
  let asked: string[];
  let out: string[];
  let err: string[];
  const run = (...args: string[]) =>
    throttleReportCommand(
      { url, print: l => out.push(l), printError: l => err.push(l) },
      args,
    );

  beforeAll(async () => {
    server = createServer((req, res) => {
      asked.push(req.url ?? '');
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    answer = { status: 200, body: REPORT };
    asked = [];
    out = [];
    err = [];
  });
  afterAll(() => new Promise(r => server.close(r)));

  it('--json prints exactly the served object on one line', async () => {
    expect(await run('--json', '--since', '15m')).toBe(0);
    expect(asked).toEqual(['/throttle-report?since=15m']);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toEqual(REPORT);
  });

  it('prints totals, what they mean, and the strategies per-ticker disables', async () => {
    expect(await run()).toBe(0);
    expect(asked).toEqual(['/throttle-report']);
    expect(out).toEqual(formatThrottleReport(REPORT));
    const text = out.join('\n');
    expect(text).toContain(
      'window 2025-07-15T14:00:00Z → 2025-07-15T14:19:50Z (120 shadow cycles, 3 strategies)',
    );
    expect(text).toMatch(/^Go per-ticker\s+7\s+7\s+1$/m);
    expect(text).toContain(
      'Go per-ticker: 99.0 % fewer ticker evaluations than legacy; it can miss 1 alerts (late updates).',
    );
    expect(text).toContain(
      'Per-ticker never runs 1 strategies (typed alert_universe, no alert_universe_full): 6',
    );
    expect(text).toContain(
      'legacy runs them every cycle, Go per-ticker never): 7',
    );
    expect(text).toMatch(/^\s+1 {2}per-ticker\s+120\/360\s+7\/7\/1\s+8\/8$/m);
  });

  it('says what to do when throttle-shadow does not answer', async () => {
    const closed = createServer();
    await new Promise<void>(r => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise(r => closed.close(r));
    expect(await run('--url', `http://127.0.0.1:${port}`)).toBe(1);
    expect(err.join('\n')).toMatch(
      /cannot read the throttle report from http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): is throttle-shadow running\? Point THROTTLE_SHADOW_URL or --url at it\./,
    );
  });

  it('passes on the shadow’s own error (shadow off: 503)', async () => {
    answer = {
      status: 503,
      body: {
        error:
          'the shadow is off: start throttle-shadow with THROTTLE_SHADOW_ENABLED=true',
        statusCode: 503,
      },
    };
    expect(await run()).toBe(1);
    expect(err[0]).toMatch(/answered 503: the shadow is off/);
    expect(out).toEqual([]);
  });

  it.each([
    [['--since', 'yesterday'], /--since "yesterday": must be a duration/],
    [['--since'], /unknown option "--since"/],
    [['--verbose'], /unknown option "--verbose"/],
    [['--url', 'not a url'], /not a URL/],
  ])('refuses %j before asking (exit 2)', async (args, message) => {
    expect(await run(...args)).toBe(2);
    expect(err.join('\n')).toMatch(message);
    expect(asked).toEqual([]);
  });
});
