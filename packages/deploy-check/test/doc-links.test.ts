import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../src/tools.js';

// The README is a front door into docs/ and the app READMEs: a moved
// section or a renamed heading must not leave a link pointing nowhere.
// Relative links and #anchors of every Markdown file are checked, anchors
// against GitHub's heading slugs.

const SKIP = new Set(['node_modules', '.git', '.turbo', 'dist', 'coverage']);

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name) || e.name.startsWith('.tickpulse')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) markdownFiles(p, out);
    else if (e.name.endsWith('.md')) out.push(p);
  }
  return out;
}

const FENCE = /^\s*(```|~~~)/;

/** GitHub's anchors of a file's headings (a repeated heading gets -1, -2, …). */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  const text = fs.readFileSync(file, 'utf8');
  for (const line of text.split('\n')) {
    if (FENCE.test(line)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const slug = m[1]!
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\- _]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n ? `${slug}-${n}` : slug);
  }
  for (const m of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g))
    anchors.add(m[1]!);
  return anchors;
}

describe('Markdown links', () => {
  it('every relative link and #anchor resolves', () => {
    const files = markdownFiles(repoRoot);
    const cache = new Map<string, Set<string>>();
    const broken: string[] = [];
    let links = 0;
    for (const file of files) {
      const text = fs
        .readFileSync(file, 'utf8')
        .replace(/^\s*(```|~~~)[\s\S]*?^\s*\1/gm, '')
        .replace(/`[^`\n]*`/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        links++;
        const [p, anchor] = target.split('#');
        const resolved = p
          ? path.resolve(path.dirname(file), decodeURIComponent(p))
          : file;
        const where = `${path.relative(repoRoot, file)}: ${target}`;
        if (!fs.existsSync(resolved)) broken.push(`${where} (no such file)`);
        else if (anchor !== undefined && resolved.endsWith('.md')) {
          if (!cache.has(resolved)) cache.set(resolved, anchorsOf(resolved));
          if (!cache.get(resolved)!.has(decodeURIComponent(anchor)))
            broken.push(`${where} (no such heading)`);
        }
      }
    }
    expect(links).toBeGreaterThan(100);
    expect(broken).toEqual([]);
  });
});
