import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../src/tools.js';

// Which shared package may use which (issue #24). The contracts are what
// separately deployed services agree on, so they depend on nothing of ours
// and on zod alone; the Polygon protocol package needs only the contracts;
// the rest are layered contracts → service-kit → redis → throttle, never
// upwards. A package's tests may also use the test kit (and throttle's
// cross-topology tests the service kit's logger and metrics).

interface Rule {
  /** `@tickpulse/*` workspaces its source may import. */
  uses: readonly string[];
  /** … and, additionally, its tests. */
  testsAlsoUse: readonly string[];
  /** Its exact runtime dependencies, when they are pinned. */
  dependencies?: readonly string[];
}

const RULES: Record<string, Rule> = {
  'packages/contracts': {
    uses: [],
    testsAlsoUse: ['@tickpulse/testkit'],
    dependencies: ['zod'],
  },
  'packages/polygon': {
    uses: ['@tickpulse/contracts'],
    testsAlsoUse: ['@tickpulse/testkit'],
    dependencies: ['@tickpulse/contracts'],
  },
  'packages/service-kit': {
    uses: ['@tickpulse/contracts'],
    testsAlsoUse: ['@tickpulse/testkit'],
  },
  'packages/redis': {
    uses: ['@tickpulse/contracts', '@tickpulse/service-kit'],
    testsAlsoUse: ['@tickpulse/testkit'],
  },
  'packages/throttle': {
    uses: ['@tickpulse/contracts', '@tickpulse/redis'],
    testsAlsoUse: ['@tickpulse/testkit', '@tickpulse/service-kit'],
  },
};

interface SourceFile {
  file: string;
  text: string;
}

function sourceFiles(dir: string, out: SourceFile[] = []): SourceFile[] {
  for (const name of readdirSync(dir)) {
    if (['node_modules', 'dist', 'fixtures'].includes(name)) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts'))
      out.push({
        file: path.relative(repoRoot, p),
        text: readFileSync(p, 'utf8'),
      });
  }
  return out;
}

const isTest = (file: string) =>
  /\.test\.ts$/.test(file) || file.split(path.sep).includes('test');

/** `file: @tickpulse/x` for every workspace import the rule does not allow. */
function violations(files: readonly SourceFile[], rule: Rule): string[] {
  const out: string[] = [];
  for (const { file, text } of files) {
    const allowed = isTest(file)
      ? [...rule.uses, ...rule.testsAlsoUse]
      : rule.uses;
    for (const { fileName } of ts.preProcessFile(text, true, true)
      .importedFiles) {
      const workspace = /^@tickpulse\/[^/]+/.exec(fileName)?.[0];
      if (workspace !== undefined && !allowed.includes(workspace))
        out.push(`${file}: ${fileName}`);
    }
  }
  return out;
}

function manifest(dir: string): {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
} {
  return JSON.parse(
    readFileSync(path.join(repoRoot, dir, 'package.json'), 'utf8'),
  );
}

describe('import rules between the shared packages', () => {
  describe.each(Object.entries(RULES))('%s', (dir, rule) => {
    it('imports only the workspaces it may', () => {
      expect(violations(sourceFiles(path.join(repoRoot, dir)), rule)).toEqual(
        [],
      );
    });

    it('declares only those as dependencies', () => {
      const { dependencies = {}, devDependencies = {} } = manifest(dir);
      const ours = (deps: Record<string, string>) =>
        Object.keys(deps).filter(d => d.startsWith('@tickpulse/'));
      expect(ours(dependencies).filter(d => !rule.uses.includes(d))).toEqual(
        [],
      );
      expect(
        ours(devDependencies).filter(
          d =>
            d !== '@tickpulse/config' &&
            ![...rule.uses, ...rule.testsAlsoUse].includes(d),
        ),
      ).toEqual([]);
      if (rule.dependencies)
        expect(Object.keys(dependencies).sort()).toEqual(
          [...rule.dependencies].sort(),
        );
    });
  });

  it('reports an import the rule does not allow, in source and in tests', () => {
    const rule = RULES['packages/contracts']!;
    expect(
      violations(
        [
          {
            file: 'packages/contracts/src/a.ts',
            text: "import { createRedis } from '@tickpulse/redis';",
          },
          {
            file: 'packages/contracts/src/b.ts',
            text: "export * from '@tickpulse/service-kit';",
          },
          {
            file: 'packages/contracts/src/c.test.ts',
            text: "import { waitFor } from '@tickpulse/testkit';",
          },
          {
            file: 'packages/contracts/src/d.ts',
            text: "import { waitFor } from '@tickpulse/testkit';",
          },
          {
            file: 'packages/contracts/src/e.ts',
            text: "import { z } from 'zod';",
          },
        ],
        rule,
      ),
    ).toEqual([
      'packages/contracts/src/a.ts: @tickpulse/redis',
      'packages/contracts/src/b.ts: @tickpulse/service-kit',
      'packages/contracts/src/d.ts: @tickpulse/testkit',
    ]);
  });
});
