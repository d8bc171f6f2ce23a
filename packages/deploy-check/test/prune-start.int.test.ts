import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
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
// for each app, `turbo prune <app> @tickpulse/cli --docker`, then exactly the
// build stage's steps in a scratch directory — npm ci from out/json + the
// pruned lockfile, copy out/full, turbo build of the app's and the CLI's
// closures, npm prune --omit=dev — and finally start the app from the pruned
// tree until /healthz answers and it exits 0 on SIGTERM, and run the CLI as
// the runner stage puts it on PATH (/usr/local/bin/tickpulse, a link to its
// shim) with the app's environment, as `kubectl exec deploy/<app> --
// tickpulse …` would. A file that only exists outside the workspace closures,
// or a runtime dependency declared only as a dev dependency, fails here.

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

/**
 * Runs `tickpulse` the way the image does: by name, from a PATH entry holding
 * a link to the pruned tree's shim (the runner's /usr/local/bin/tickpulse).
 */
function runCli(
  binDir: string,
  env: Record<string, string>,
  args: string[],
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('tickpulse', args, {
    cwd: '/',
    encoding: 'utf8',
    env: {
      ...env,
      // node first: the shim runs whichever node PATH finds, as in the image.
      PATH: `${binDir}:${path.dirname(process.execPath)}:${env.PATH ?? ''}`,
    },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
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

  it('prunes, installs, builds and starts from the pruned tree, with tickpulse on PATH', async () => {
    const out = path.join(work, 'out');
    const app_dir = path.join(work, 'app');
    run(
      'npx',
      ['turbo', 'prune', pkg, '@tickpulse/cli', '--docker', '--out-dir', out],
      repoRoot,
    );
    cpSync(path.join(out, 'json'), app_dir, { recursive: true });
    cpSync(
      path.join(out, 'package-lock.json'),
      path.join(app_dir, 'package-lock.json'),
    );
    run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], app_dir);
    cpSync(path.join(out, 'full'), app_dir, { recursive: true });
    run(
      'npx',
      [
        'turbo',
        'run',
        'build',
        `--filter=${pkg}...`,
        '--filter=@tickpulse/cli...',
      ],
      app_dir,
    );
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

    const binDir = path.join(work, 'usr-local-bin');
    mkdirSync(binDir);
    symlinkSync(
      path.join(app_dir, 'packages', 'cli', 'bin', 'tickpulse'),
      path.join(binDir, 'tickpulse'),
    );
    const env = appEnv(app, port, prefix, bull);
    const help = runCli(binDir, env, ['--help']);
    expect({ status: help.status, stdout: help.stdout }).toEqual({
      status: 0,
      stdout: expect.stringMatching(/^usage: tickpulse <command>/),
    });
    // A command that reads Redis, with the pod's own environment.
    const status = runCli(binDir, env, ['status']);
    expect({ status: status.status, stderr: status.stderr }).toEqual({
      status: 0,
      stderr: expect.not.stringMatching(/error|unreachable/i),
    });
    expect(status.stdout.split('\n')[0]).toBe(
      `Redis ${TEST_REDIS_URL}, key prefix ${JSON.stringify(prefix)}, BullMQ prefix ${JSON.stringify(bull)}`,
    );
  }, 600_000);
});
