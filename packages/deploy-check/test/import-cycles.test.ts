import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../src/tools.js';

// No import cycles between modules. A cycle makes load order decide whether a
// module sees its imports initialised, and it usually means two modules are
// one concept split badly. Cycles between workspaces are refused by turbo
// already (its package graph); this covers the modules inside each one.

const ROOTS = ['apps', 'packages', 'bench'];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (
      ['node_modules', 'dist', 'fixtures'].includes(name) ||
      name.startsWith('.')
    )
      continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function workspaceDirs(): string[] {
  return ROOTS.flatMap(r => {
    const dir = path.join(repoRoot, r);
    return existsSync(path.join(dir, 'package.json'))
      ? [dir]
      : readdirSync(dir).map(n => path.join(dir, n));
  }).filter(d => existsSync(path.join(d, 'package.json')));
}

/** Relative imports of a file resolved to files (`./x.js` is `./x.ts` under NodeNext). */
function localImports(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map(f => f.fileName)
    .filter(s => s.startsWith('.'))
    .map(s => {
      const base = path.resolve(path.dirname(file), s.replace(/\.js$/, ''));
      return [`${base}.ts`, path.join(base, 'index.ts')].find(existsSync);
    })
    .filter((f): f is string => f !== undefined);
}

/** Every cycle found by a depth-first search, as a list of repo-relative files. */
function findCycles(files: readonly string[]): string[][] {
  const graph = new Map(files.map(f => [f, localImports(f)]));
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 'active');
    stack.push(f);
    for (const dep of graph.get(f) ?? []) {
      if (state.get(dep) === 'active')
        cycles.push(
          [...stack.slice(stack.indexOf(dep)), dep].map(x =>
            path.relative(repoRoot, x),
          ),
        );
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

describe('import cycles', () => {
  it.each(workspaceDirs().map(d => [path.relative(repoRoot, d), d]))(
    '%s has none',
    (_name, dir) => {
      expect(findCycles(sourceFiles(dir))).toEqual([]);
    },
  );

  it('finds a cycle when there is one', () => {
    const dir = path.join(
      repoRoot,
      'packages/deploy-check/test/fixtures/cycle',
    );
    expect(findCycles(['a.ts', 'b.ts'].map(f => path.join(dir, f)))).toEqual([
      [
        'packages/deploy-check/test/fixtures/cycle/a.ts',
        'packages/deploy-check/test/fixtures/cycle/b.ts',
        'packages/deploy-check/test/fixtures/cycle/a.ts',
      ],
    ]);
  });
});
