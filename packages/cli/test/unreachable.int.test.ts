import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, withoutNodeWarning } from '@tickpulse/testkit';

const CLI = join(__dirname, '../dist/main.js');

/**
 * Runs the built CLI; resolves with its exit code and output. A CLI that
 * hangs is killed after `killAfterMs` (a generous bound, far above the
 * seconds a failed connect takes) and reports signal SIGKILL.
 */
function runCli(
  args: string[],
  env: Record<string, string>,
  killAfterMs = 20_000,
): Promise<{
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}> {
  return new Promise(resolve => {
    const proc = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', d => (stdout += d));
    proc.stderr.on('data', d => (stderr += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr: withoutNodeWarning(stderr) });
    });
  });
}

describe('CLI commands with Redis unreachable (a closed port)', () => {
  let port: number;

  beforeAll(async () => {
    port = await freePort();
  });

  it.each([
    'status',
    'sync 1',
    'reconcile',
    'inspect AAPL',
    'compare --shadow-prefix shadow:',
    'future-ticks',
  ])(
    '`%s` exits 1 with one line naming the redacted URL and REDIS_URL',
    async command => {
      const r = await runCli(command.split(' '), {
        REDIS_URL: `redis://:hunter2secret@127.0.0.1:${port}`,
      });
      expect(r).toEqual({
        code: 1,
        signal: null,
        stdout: '',
        stderr: `tickpulse: Redis is not reachable at redis://:redacted@127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}): start it (e.g. \`redis-server --daemonize yes\`) or set REDIS_URL.\n`,
      });
    },
    30_000,
  );

  it('names the sentinel variables when Sentinel is the topology', async () => {
    const r = await runCli(['status'], {
      REDIS_SENTINELS: `127.0.0.1:${port}`,
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_PASSWORD: 'hunter2secret',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^tickpulse: Redis is not reachable at sentinel mymaster@127\\.0\\.0\\.1:${port} \\(.+\\): .*set REDIS_SENTINELS and REDIS_SENTINEL_NAME\\.\\n$`,
      ),
    );
    expect(r.stderr).not.toContain('hunter2secret');
  }, 30_000);

  it('warns about a misspelled variable before it connects', async () => {
    const r = await runCli(['status'], {
      REDIS_ULR: 'redis://10.0.0.1:6379',
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toEqual([
      'tickpulse: warning: REDIS_ULR is not a variable tickpulse reads (ignored): did you mean REDIS_URL?',
      expect.stringMatching(
        /^tickpulse: Redis is not reachable at redis:\/\/127\.0\.0\.1:\d+ /,
      ),
      '',
    ]);
  }, 30_000);
});
