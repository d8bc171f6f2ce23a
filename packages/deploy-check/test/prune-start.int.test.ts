import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import {
  deletePrefix,
  freePort,
  TEST_REDIS_URL,
  uniqueName,
  uniquePrefix,
  waitFor,
} from '@tickpulse/testkit';
import { repoRoot } from '../src/tools.js';

// The Dockerfile recipe without Docker (no engine runs on these machines):
// for each app, `turbo prune <app> --docker`, then exactly the build stage's
// steps in a scratch directory — npm ci from out/json + the pruned lockfile,
// copy out/full, turbo build of the app's closure, npm prune --omit=dev —
// and finally start the app from the pruned tree until /healthz answers and
// it exits 0 on SIGTERM. A file that only exists outside the app's workspace
// closure, or a runtime dependency declared only as a dev dependency, fails here.

/** Env that lets each app start on its own, isolated from everything else. */
function appEnv(
  app: string,
  port: number,
  prefix: string,
  bull: string,
): Record<string, string> {
  const common = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    REDIS_URL: TEST_REDIS_URL,
    HTTP_PORT: String(port),
    REDIS_KEY_PREFIX: prefix,
    BULLMQ_PREFIX: bull,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
  };
  switch (app) {
    case 'ingest':
      // A closed port: the app must be alive (healthz) without a feed.
      return { ...common, POLYGON_WS_URL: 'ws://127.0.0.1:9/stocks' };
    case 'universe-sync':
      return {
        ...common,
        API_TOKEN: 'prune-start-test-token-0123456789',
        RECONCILE_ON_START: 'false',
        LISTEN_NOTIFY: 'false',
      };
    default:
      return common;
  }
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} failed in ${cwd}:\n${(r.stderr || r.stdout).slice(-3000)}`,
    );
  }
}

const APPS = [
  'polygon-sim',
  'ingest',
  'tick-writer',
  'universe-sync',
  'throttle-shadow',
];

describe.each(APPS)('the %s image recipe', app => {
  const pkg =
    app === 'polygon-sim' ? '@tickpulse/polygon-sim-app' : `@tickpulse/${app}`;
  let work: string;
  let child: ChildProcess | undefined;
  const prefix = uniquePrefix('prune');
  const bull = uniqueName('prune');

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), `tp-prune-${app}-`));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
    const redis = new Redis(TEST_REDIS_URL, { protocol: 2 });
    await deletePrefix(redis, prefix);
    await deletePrefix(redis, `${bull}:`);
    await redis.quit();
  });

  it('prunes, installs, builds and starts from the pruned tree', async () => {
    const out = path.join(work, 'out');
    const app_dir = path.join(work, 'app');
    run('npx', ['turbo', 'prune', pkg, '--docker', '--out-dir', out], repoRoot);
    cpSync(path.join(out, 'json'), app_dir, { recursive: true });
    cpSync(
      path.join(out, 'package-lock.json'),
      path.join(app_dir, 'package-lock.json'),
    );
    run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], app_dir);
    cpSync(path.join(out, 'full'), app_dir, { recursive: true });
    run('npx', ['turbo', 'run', 'build', `--filter=${pkg}...`], app_dir);
    run('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund'], app_dir);

    const port = await freePort();
    let output = '';
    child = spawn(
      process.execPath,
      [path.join('apps', app, 'dist', 'main.js')],
      {
        cwd: app_dir,
        env: appEnv(app, port, prefix, bull),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', d => (output += String(d)));
    child.stderr?.on('data', d => (output += String(d)));
    const started = child;
    await waitFor(
      async () => {
        if (started.exitCode !== null)
          throw new Error(`exited ${started.exitCode}: ${output.slice(-2000)}`);
        const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(
          () => null,
        );
        return res?.ok ?? false;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 200,
        what: `${app} /healthz from the pruned build`,
      },
    );
    const exited = new Promise<number | null>(resolve =>
      started.once('exit', code => resolve(code)),
    );
    started.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 600_000);
});
