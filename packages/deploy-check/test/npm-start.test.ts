import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../src/tools.js';

interface DryTask {
  taskId: string;
  hash: string;
  environmentVariables: { passthrough: string[] | null };
}

const TURBO = path.join(repoRoot, 'node_modules', '.bin', 'turbo');

/** `turbo run <args> --dry=json` from the root with `env` added; the planned tasks. */
function dryRun(args: string[], env: Record<string, string> = {}): DryTask[] {
  const r = spawnSync(TURBO, [...args, '--dry=json'], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`turbo failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { tasks: DryTask[] }).tasks;
}

/** The turbo arguments of `npm start`'s build step. */
function startBuildArgs(): string[] {
  const pkg = JSON.parse(
    readFileSync(path.join(repoRoot, 'package.json'), 'utf8'),
  ) as { scripts: { start: string } };
  const build = pkg.scripts.start.split('&&')[0]!.trim();
  expect(build).toMatch(/^turbo run build /);
  return build
    .replace(/^turbo /, '')
    .split(/\s+/)
    .map(a => a.replace(/'/g, ''));
}

describe('npm start', () => {
  it('builds what `tickpulse up` runs and nothing else', () => {
    const tasks = dryRun(startBuildArgs()).map(t => t.taskId);
    for (const needed of [
      '@tickpulse/cli#build',
      '@tickpulse/ingest#build',
      '@tickpulse/tick-writer#build',
      '@tickpulse/universe-sync#build',
      '@tickpulse/throttle-shadow#build',
      '@tickpulse/polygon-sim-app#build',
      '@tickpulse/contracts#build',
      '@tickpulse/service-kit#build',
      '@tickpulse/redis#build',
      '@tickpulse/throttle#build',
    ])
      expect(tasks).toContain(needed);
    for (const unused of ['bench', 'system-tests', 'deploy-check'])
      expect(tasks.filter(t => t.startsWith(`@tickpulse/${unused}#`))).toEqual(
        [],
      );
  });

  it('shows build progress and errors, not only errors', () => {
    expect(startBuildArgs()).toContain('--output-logs=new-only');
  });

  // A new REDIS_URL or DATABASE_URL used to enter every build hash, so
  // pointing `npm start` at another Redis rebuilt everything (2–3 minutes).
  it('keeps the connection variables out of every build hash', () => {
    const hashes = (env: Record<string, string>) =>
      Object.fromEntries(
        dryRun(['run', 'build'], env).map(t => [t.taskId, t.hash]),
      );
    expect(
      hashes({
        REDIS_URL: 'redis://10.0.0.1:6380',
        DATABASE_URL: 'postgres://a@10.0.0.1/a',
      }),
    ).toEqual(
      hashes({
        REDIS_URL: 'redis://10.0.0.2:6381',
        DATABASE_URL: 'postgres://b@10.0.0.2/b',
      }),
    );
  });

  it('still passes the connection variables to the test tasks', () => {
    for (const task of ['test', 'test:unit', 'test:int']) {
      const [t] = dryRun(['run', task, '--filter=@tickpulse/redis'], {
        REDIS_URL: 'redis://127.0.0.1:6379',
        DATABASE_URL: 'postgres://postgres@127.0.0.1/postgres',
      }).filter(x => x.taskId === `@tickpulse/redis#${task}`);
      const names = (t?.environmentVariables.passthrough ?? []).map(
        v => v.split('=')[0],
      );
      expect(names).toEqual(
        expect.arrayContaining(['REDIS_URL', 'DATABASE_URL']),
      );
    }
  });
});
