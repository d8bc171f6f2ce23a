import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  createTestSchema,
  deletePrefix,
  seededRandom,
  testRedis,
  TEST_REDIS_URL,
  type TestSchema,
  uniqueName,
  uniquePrefix,
  waitFor,
  withoutNodeWarning,
} from '@tickpulse/testkit';

const CLI = join(__dirname, '../dist/main.js');
const APPS = [
  'polygon-sim',
  'ingest',
  'tick-writer',
  'universe-sync',
  'throttle-shadow',
];

const bindable = (port: number) =>
  new Promise<boolean>(resolve => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** Five consecutive free ports (`up` uses UP_PORT_BASE .. +4). */
async function freePortRun(): Promise<number> {
  const random = seededRandom(process.pid);
  for (;;) {
    const base = 20_000 + Math.floor(random() * 40_000);
    const ok = await Promise.all(APPS.map((_, i) => bindable(base + i)));
    if (ok.every(Boolean)) return base;
  }
}

/** Runs the CLI to completion. */
function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const p = spawn(process.execPath, [CLI, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', d => (stdout += d));
    p.stderr.on('data', d => (stderr += d));
    p.once('exit', code => resolve({ code, stdout, stderr }));
  });
}

describe('npm start (the launcher: tickpulse up)', () => {
  let redis: Redis;
  let prefix: string;
  let bullPrefix: string;
  let schema: TestSchema;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(async () => {
    prefix = uniquePrefix('up');
    bullPrefix = uniqueName('up');
    schema = await createTestSchema({ label: 'tp_up' });
  });
  afterEach(async () => {
    await deletePrefix(redis, prefix);
    await deletePrefix(redis, `${bullPrefix}:`);
    await schema.drop();
  });
  afterAll(() => redis.quit());

  it('starts every app, fills TICK:UPD and the universes, and on Ctrl-C every app exits 0', async () => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      REDIS_URL: TEST_REDIS_URL,
      DATABASE_URL: schema.url,
      REDIS_KEY_PREFIX: prefix,
      BULLMQ_PREFIX: bullPrefix,
      UP_PORT_BASE: String(await freePortRun()),
      STATUS_INTERVAL_S: '1',
    };
    let out = '';
    const proc = spawn(process.execPath, [CLI, 'up'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout.on('data', d => (out += d));
    proc.stderr.on('data', d => (out += d));
    const exit = new Promise<number | null>(r => proc.once('exit', r));
    try {
      // The demo strategies 1–3 have universes; the simulator trades their tickers.
      await waitFor(
        async () =>
          (await redis.zcard(`${prefix}TICK:UPD`)) > 0 &&
          (await redis.smembers(`${prefix}STRAT:1:UNIV`)).sort().join() ===
            'AAPL,AMZN,MSFT,NVDA',
        { timeoutMs: 60_000, what: `TICK:UPD and STRAT:1:UNIV filled\n${out}` },
      );
      await waitFor(() => /\| TICK:UPD \d+ \| UNIV 3/.test(out), {
        timeoutMs: 30_000,
        what: `a status line\n${out}`,
      });

      // The shadow `up` runs answers throttle-report: exactly one JSON
      // object on stdout, with the demo strategies once a cycle saw them
      // (cycles run every 10 s, the first one maybe before the demo rows).
      type Report = {
        window: { cycles: number };
        totals: Record<string, unknown>;
        strategies: { id: number; goPath: string }[];
      };
      let r: Report | undefined;
      await waitFor(
        async () => {
          const report = await runCli(['throttle-report', '--json'], env);
          expect(report.code).toBe(0);
          expect(report.stdout.trim().split('\n')).toHaveLength(1);
          r = JSON.parse(report.stdout) as Report;
          return r.strategies.length === 5;
        },
        {
          timeoutMs: 60_000,
          what: `the demo strategies in the report\n${out}`,
        },
      );
      expect(r!.window.cycles).toBeGreaterThanOrEqual(1);
      // Typed with a set, global, and typed without one (Go never runs it).
      expect(r!.strategies.map(x => [x.id, x.goPath])).toEqual([
        [1, 'per-ticker'],
        [2, 'per-ticker'],
        [3, 'per-ticker'],
        [4, 'global'],
        [6, 'disabled'],
      ]);
      expect(Object.keys(r!.totals).sort()).toEqual([
        'goPerTicker',
        'legacy',
        'lossless',
      ]);
      const human = await runCli(['throttle-report', '--since', '1h'], env);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/^Go per-ticker: .* \(late updates\)\.$/m);
    } finally {
      // Twice, as under `npm start`: the terminal's Ctrl-C and npm's
      // forwarded copy. The second must not cut the graceful stop short.
      proc.kill('SIGINT');
      proc.kill('SIGINT');
    }
    expect({ code: await exit, out }).toEqual({
      code: 0,
      out: expect.any(String),
    });
    expect(out).toContain(`exit codes: ${APPS.map(a => `${a} 0`).join(', ')}`);
    expect(out).toContain('stopped cleanly');
    // A normal start warns about nothing: ingest dials polygon-sim only once
    // it listens, and the first reconcile filling Redis is not drift.
    expect(withoutNodeWarning(out)).not.toMatch(
      /^\[[a-z-]+\] (warn|error|fatal) /m,
    );
    // ingest stopped before tick-writer, which took its last batch.
    const ticks = new Queue('ticks', { connection: redis, prefix: bullPrefix });
    const left = await ticks.getJobCounts('wait', 'active');
    await ticks.close();
    expect(left).toEqual({ wait: 0, active: 0 });
  });

  /** Runs `up` to its own exit (these runs never reach the status loop). */
  const runUp = async (extra: Record<string, string>) => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      REDIS_URL: TEST_REDIS_URL,
      DATABASE_URL: schema.url,
      REDIS_KEY_PREFIX: prefix,
      BULLMQ_PREFIX: bullPrefix,
      UP_PORT_BASE: String(await freePortRun()),
      ...extra,
    };
    let out = '';
    const proc = spawn(process.execPath, [CLI, 'up'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout.on('data', d => (out += d));
    proc.stderr.on('data', d => (out += d));
    const code = await new Promise<number | null>(r => proc.once('exit', r));
    return {
      code,
      out: withoutNodeWarning(out),
      base: Number(env.UP_PORT_BASE),
    };
  };

  it('stops every app at once when one rejects its configuration (exit 78)', async () => {
    const { code, out } = await runUp({ TICKS_MAX_PENDING_JOBS: 'abc' });
    expect(code).toBe(1);
    expect(out).toMatch(
      /\[ingest\] fatal invalid configuration[^]*TICKS_MAX_PENDING_JOBS/,
    );
    expect(out).toContain('ingest rejected its configuration (exit 78');
    expect(out).not.toContain('did not answer /healthz');
    expect(out).toMatch(/exit codes: .*ingest 78/);
    expect(out).toContain('stopped after a failure');
  });

  it('says another tickpulse may be running, and names UP_PORT_BASE, when a port is taken', async () => {
    const base = await freePortRun();
    const squatter = createServer();
    await new Promise<void>(r => squatter.listen(base + 2, '127.0.0.1', r));
    try {
      const { code, out } = await runUp({ UP_PORT_BASE: String(base) });
      expect(code).toBe(1);
      expect(out).toContain(
        `port ${base + 2} (tick-writer) already in use: is tickpulse already running`,
      );
      expect(out).toContain(`set UP_PORT_BASE`);
      // Nothing started: no banner, no token, no app output.
      expect(out.trim().split('\n')).toHaveLength(1);
    } finally {
      await new Promise(r => squatter.close(r));
    }
  });
});
