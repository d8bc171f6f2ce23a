import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unsupportedNodeWarning } from '@tickpulse/service-kit';

const CLI = join(__dirname, '../dist/main.js');

// The CLI process as it starts on another Node.js: a preload makes
// `process.version` read as that version before the CLI's code runs, so the
// test does not depend on the Node it runs on.
describe('the CLI on an unsupported Node.js', () => {
  let dir: string;
  let preload: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tp-node-version-'));
    preload = join(dir, 'as-node.js');
    writeFileSync(
      preload,
      "Object.defineProperty(process, 'version', { value: process.env.AS_NODE, enumerable: true, configurable: true });\n",
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (version: string) =>
    spawnSync(process.execPath, ['-r', preload, CLI, '--help'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', AS_NODE: version },
    });

  it('warns on stderr on Node.js 20 and still runs the command', () => {
    const r = run('v20.20.2');
    expect({ status: r.status, stderr: r.stderr }).toEqual({
      status: 0,
      stderr: `tickpulse: warning: ${unsupportedNodeWarning('v20.20.2')}\n`,
    });
    expect(r.stderr).toContain('Node.js v20.20.2 is not supported');
    expect(r.stdout).toMatch(/^usage: tickpulse <command>/);
  });

  it('says nothing on Node.js 22', () => {
    const r = run('v22.12.0');
    expect({ status: r.status, stderr: r.stderr }).toEqual({
      status: 0,
      stderr: '',
    });
  });
});
