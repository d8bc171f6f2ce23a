import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { EXIT_CONFIG } from '../src';

describe('an app started with bad configuration', () => {
  it('logs one error naming every offending variable and exits non-zero', () => {
    const r = spawnSync(
      process.execPath,
      [join(__dirname, 'fixtures/config-exit.js')],
      {
        env: {
          PATH: process.env.PATH,
          HTTP_PORT: 'eighty',
          LOG_LEVEL: 'chatty',
          REDIS_URL: 'localhost',
        },
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(EXIT_CONFIG);
    expect(r.stdout).not.toContain('started');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line.level).toBe('fatal');
    for (const name of ['HTTP_PORT', 'LOG_LEVEL', 'REDIS_URL', 'API_TOKEN']) {
      expect(line.msg).toContain(name);
    }
    expect(line.problems).toHaveLength(4);
  });

  it('starts when the configuration is valid', () => {
    const r = spawnSync(
      process.execPath,
      [join(__dirname, 'fixtures/config-exit.js')],
      {
        env: { PATH: process.env.PATH, API_TOKEN: 'a'.repeat(32) },
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('started');
  });
});
