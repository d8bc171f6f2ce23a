import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../src/tools.js';

// The "trade path" table (docs/architecture.md, linked from the README) names,
// in order, the files a trade passes through and the function each step runs.
// A rename or a move that leaves the table behind fails here.

const doc = readFileSync(path.join(repoRoot, 'docs/architecture.md'), 'utf8');
const section =
  /### The trade path, socket to ZSET\n([\s\S]*?)(?:\n## |$)/.exec(doc)?.[1];

/** Rows as [file paths, the identifiers quoted in the "what happens" cell]. */
function rows(): { files: string[]; names: string[] }[] {
  return (section ?? '')
    .split('\n')
    .filter(l => /^\| \d+ \|/.test(l))
    .map(l => {
      const [, , fileCell = '', what = ''] = l.split('|');
      const quoted = (cell: string) =>
        [...cell.matchAll(/`([^`]+)`/g)].map(m => m[1]!);
      const first = quoted(fileCell)[0] ?? '';
      const dir = path.posix.dirname(first);
      // "`parser.ts` → `scanner.ts`": later names are in the first one's directory.
      const files = quoted(fileCell).map(f =>
        f.includes('/') ? f : path.posix.join(dir, f),
      );
      const names = quoted(what).filter(n => /^[a-z][A-Za-z]+$/.test(n));
      return { files, names };
    });
}

describe('README trade path', () => {
  it('has the section with a row per step', () => {
    expect(section).toBeDefined();
    expect(rows().length).toBeGreaterThanOrEqual(10);
  });

  it.each(rows().map((r, i) => [i + 1, r] as const))(
    'step %i names files that exist and functions they contain',
    (_step, { files, names }) => {
      for (const f of files)
        expect(existsSync(path.join(repoRoot, f))).toBe(true);
      const source = files
        .map(f => readFileSync(path.join(repoRoot, f), 'utf8'))
        .join('\n');
      for (const n of names) expect(source).toContain(n);
    },
  );
});
