import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createAppLogger } from './logger';
import { MIN_NODE_MAJOR, unsupportedNodeWarning } from './runtime';

const root = path.join(__dirname, '../../..');

/** Runs `fn` with `process.version` reading `version`. */
function asNode<T>(version: string, fn: () => T): T {
  const real = Object.getOwnPropertyDescriptor(process, 'version')!;
  Object.defineProperty(process, 'version', { ...real, value: version });
  try {
    return fn();
  } finally {
    Object.defineProperty(process, 'version', real);
  }
}

function appLogLines(): Record<string, unknown>[] {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  createAppLogger('app', { LOG_LEVEL: 'info' }, destination).info('started');
  return lines.map(l => JSON.parse(l) as Record<string, unknown>);
}

describe('unsupportedNodeWarning', () => {
  it('warns below Node.js 22, naming the version and what to do', () => {
    for (const v of ['v20.20.2', 'v21.7.3', 'v18.0.0'])
      expect(unsupportedNodeWarning(v)).toBe(
        `Node.js ${v} is not supported: tickpulse needs Node.js 22 or newer (CI tests 22 and 24). It runs, untested; a dependency update may break it. Upgrade Node.js.`,
      );
  });

  it('is silent on Node.js 22 and later', () => {
    for (const v of ['v22.0.0', 'v22.12.0', 'v24.1.0', 'v25.0.0'])
      expect(unsupportedNodeWarning(v)).toBeUndefined();
  });

  it('agrees with package.json engines and @types/node', () => {
    const pkg = JSON.parse(
      readFileSync(path.join(root, 'package.json'), 'utf8'),
    ) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    expect(pkg.engines.node).toBe(`>=${MIN_NODE_MAJOR}`);
    expect(pkg.devDependencies['@types/node']).toMatch(
      new RegExp(`^\\^${MIN_NODE_MAJOR}\\.`),
    );
  });
});

describe("an app's logger on an unsupported Node.js", () => {
  it('logs the warning first, with the version, on Node.js 20', () => {
    expect(asNode('v20.20.2', appLogLines)).toEqual([
      expect.objectContaining({
        level: 'warn',
        service: 'app',
        node: 'v20.20.2',
        msg: unsupportedNodeWarning('v20.20.2'),
      }),
      expect.objectContaining({ level: 'info', msg: 'started' }),
    ]);
  });

  it('logs no warning on Node.js 22', () => {
    expect(asNode('v22.12.0', appLogLines)).toEqual([
      expect.objectContaining({ level: 'info', msg: 'started' }),
    ]);
  });
});
