import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

// In its own node process (testkit's build), as the suites use it: what the
// probe prints while the server is not yet listening goes to real stderr.
const script = `
const { startPrivateRedis } = require(${JSON.stringify(resolve(__dirname, '..', 'dist', 'index.js'))});
(async () => {
  const server = await startPrivateRedis();
  await server.restart({ downMs: 200 });
  await server.stop();
  console.log('done');
})().catch(err => { console.error(err); process.exit(1); });
`;

describe('startPrivateRedis', () => {
  it('waits for a slow server without printing its refused connection attempts', async () => {
    // A server that listens only after a while: the probe's first attempts are refused.
    const dir = mkdtempSync(join(tmpdir(), 'tp-slow-redis-'));
    const slowBin = join(dir, 'slow-redis-server');
    const realBin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
    writeFileSync(slowBin, `#!/bin/sh\nsleep 0.5\nexec ${realBin} "$@"\n`);
    chmodSync(slowBin, 0o755);
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        ['-e', script],
        { env: { ...process.env, REDIS_SERVER_BIN: slowBin }, timeout: 30_000 },
      );
      expect(stdout).toContain('done');
      expect(stderr).not.toContain('ECONNREFUSED');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
