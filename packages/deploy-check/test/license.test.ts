import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../src/tools.js';

// tickpulse is proprietary: a package without `"license": "UNLICENSED"` (a
// new workspace, say) would read as unlicensed-by-accident to npm and to
// licence scanners, and a missing LICENSE leaves the terms unstated.

/** Every package.json of the repository: the root and each workspace. */
function packageFiles(): string[] {
  const root = JSON.parse(
    readFileSync(path.join(repoRoot, 'package.json'), 'utf8'),
  ) as { workspaces: string[] };
  const files = ['package.json'];
  for (const pattern of root.workspaces) {
    const dirs = pattern.endsWith('/*')
      ? readdirSync(path.join(repoRoot, pattern.slice(0, -2)), {
          withFileTypes: true,
        })
          .filter(d => d.isDirectory())
          .map(d => path.join(pattern.slice(0, -2), d.name))
      : [pattern];
    for (const dir of dirs)
      if (existsSync(path.join(repoRoot, dir, 'package.json')))
        files.push(path.join(dir, 'package.json'));
  }
  return files;
}

describe('licensing', () => {
  it('declares every package UNLICENSED (proprietary), the root and each workspace', () => {
    const files = packageFiles();
    expect(files.length).toBeGreaterThan(10);
    const licenses = Object.fromEntries(
      files.map(f => [
        f,
        (
          JSON.parse(readFileSync(path.join(repoRoot, f), 'utf8')) as {
            license?: string;
          }
        ).license,
      ]),
    );
    expect(licenses).toEqual(
      Object.fromEntries(files.map(f => [f, 'UNLICENSED'])),
    );
  });

  it('has a LICENSE stating proprietary, all rights reserved', () => {
    const text = readFileSync(path.join(repoRoot, 'LICENSE'), 'utf8');
    expect(text).toMatch(/^Copyright \(c\) 2026 the tickpulse authors\./);
    expect(text).toContain('All rights reserved.');
    expect(text).toMatch(/proprietary/);
  });
});
