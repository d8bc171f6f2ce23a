import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  afterNthCall,
  COMPARE_FIXTURE,
  deletePrefix,
  freePort,
  startPrivateRedis,
  testRedis,
  TEST_REDIS_URL,
  uniquePrefix,
  withoutNodeWarning,
  writeCompareFixture,
  type PrivateRedis,
} from '@tickpulse/testkit';
import { compareCommand, type CompareDeps } from '../src/compare';

const CLI = join(__dirname, '../dist/main.js');

function runCli(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, REDIS_URL: TEST_REDIS_URL, ...env },
    timeout: 60_000,
  });
  return {
    status: res.status,
    stdout: res.stdout,
    stderr: withoutNodeWarning(res.stderr),
  };
}

describe('tickpulse compare (the CLI process)', () => {
  let redis: Redis;
  let ref: string;
  let shadow: string;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    ref = uniquePrefix('cmpcli-ref');
    shadow = uniquePrefix('cmpcli-sh');
  });
  afterEach(async () => {
    await deletePrefix(redis, ref);
    await deletePrefix(redis, shadow);
  });
  afterAll(() => redis.quit());

  const fixture = () => writeCompareFixture(redis, ref, shadow);

  it('--json prints exactly one JSON object of the documented shape, and nothing else', async () => {
    await fixture();
    const run = runCli([
      'compare',
      '--reference-prefix',
      ref,
      '--shadow-prefix',
      shadow,
      '--json',
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(run.stdout)).toEqual(COMPARE_FIXTURE.comparison);
  });

  it('takes the shadow namespace from REDIS_KEY_PREFIX and prints a readable report', async () => {
    await fixture();
    const run = runCli(['compare', '--reference-prefix', ref], {
      REDIS_KEY_PREFIX: shadow,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      'TICK:UPD      reference 12, shadow 11, in both 10, only reference 2, only shadow 1',
    );
    expect(run.stdout).toContain('|delta| p50 200 ms, p99 500 ms, max 500 ms');
    expect(run.stdout).toContain('differ 2 (e.g. 2, 3)');
    expect(run.stdout).toContain('only shadow 2 (e.g. 5, 6)');
  });

  it.each([
    [['compare', '--bogus']],
    [['compare', '--shadow-prefix']],
    [['compare', 'extra']],
    // Unprefixed against unprefixed: nothing to compare.
    [['compare']],
  ])('%j is a usage error (exit 2)', args => {
    const run = runCli(args, { REDIS_KEY_PREFIX: '' });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/usage: tickpulse compare/);
  });

  it('exits 1 with one clear line when Redis is unreachable', async () => {
    const port = await freePort();
    const run = runCli(['compare', '--shadow-prefix', 'sh:', '--json'], {
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `tickpulse: Redis is not reachable at redis://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}): start it (e.g. \`redis-server --daemonize yes\`) or set REDIS_URL.\n`,
    );
  });
});

describe('compareCommand when Redis goes away mid-run', () => {
  let server: PrivateRedis;

  beforeAll(async () => {
    server = await startPrivateRedis();
  });
  afterAll(() => server.stop());

  it('prints the error, nothing on stdout, and exits 1', async () => {
    const redis = new Redis(server.url, {
      protocol: 2,
      maxRetriesPerRequest: 1,
    });
    redis.on('error', () => undefined);
    for (let i = 0; i < 10_000; i += 2000) {
      const args = Array.from({ length: 2000 }, (_, j) => [
        1,
        `T${i + j}`,
      ]).flat();
      await redis.zadd('TICK:UPD', ...args);
      await redis.zadd('sh:TICK:UPD', ...args);
    }
    // The server dies right after the first page of TICK:UPD has been read.
    const { client, calls } = afterNthCall(redis, 'zscan', 1, () =>
      server.kill(),
    );
    const out: string[] = [];
    const err: string[] = [];
    const deps: CompareDeps = {
      redis: client,
      defaultShadowPrefix: 'sh:',
      print: l => void out.push(l),
      printError: l => void err.push(l),
      pageSize: 100,
    };
    expect(await compareCommand(deps, ['--json'])).toBe(1);
    expect(calls()).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      expect.stringMatching(
        /^tickpulse compare: comparison aborted while reading TICK:UPD: .+/,
      ),
    ]);
    redis.disconnect();
  });
});
