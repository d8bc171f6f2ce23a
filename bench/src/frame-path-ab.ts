/**
 * Interleaved A/B of ingest's frame path (scanner → validation → policy →
 * coalescer) between a base commit and the working tree, in one process:
 * both builds of `packages/polygon` process the same recorded frames
 * (`recordFrames`, 10 000 Zipf tickers) in alternating order, and each
 * round's ratio of CPU per trade (`process.cpuUsage`) is compared. A ratio
 * within one process and one round is what stays meaningful on a shared,
 * loaded machine.
 *
 *   npm run build && node bench/dist/frame-path-ab.js [--base <rev>] [--trades 300000] [--rounds 21]
 *
 * The base is `packages/polygon/src` at `<rev>` (default `main`), compiled
 * into `.ab-base/polygon/` (git-ignored) with the package's own tsconfig. Both builds must coalesce to the same map, or it fails.
 */
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { recordFrames } from './hot-path.js';
import { REPO_ROOT } from './results.js';
import { fmt, summarize } from './stats.js';

type Polygon = typeof import('@tickpulse/polygon');

/** Inside the repository so its imports resolve; outside every workspace's tests. */
const BASE_DIR = join(REPO_ROOT, '.ab-base', 'polygon');

/** Compiles `packages/polygon/src` at `rev` into `.ab-base/dist`. */
function buildBase(rev: string): string {
  rmSync(BASE_DIR, { recursive: true, force: true });
  mkdirSync(BASE_DIR, { recursive: true });
  const tar = execFileSync(
    'git',
    ['archive', rev, '--', 'packages/polygon/src'],
    { cwd: REPO_ROOT, maxBuffer: 64 * 2 ** 20 },
  );
  execFileSync('tar', ['-x', '--strip-components=2', '-C', BASE_DIR], {
    input: tar,
  });
  // Before packages/shared was split, polygon took what is now in
  // @tickpulse/contracts from it: point such a base at its new home.
  for (const f of readdirSync(join(BASE_DIR, 'src'))) {
    const path = join(BASE_DIR, 'src', f);
    const text = readFileSync(path, 'utf8');
    if (text.includes("'@tickpulse/shared'"))
      writeFileSync(
        path,
        text.replaceAll("'@tickpulse/shared'", "'@tickpulse/contracts'"),
      );
  }
  writeFileSync(
    join(BASE_DIR, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../packages/polygon/tsconfig.json',
      compilerOptions: { rootDir: 'src', outDir: 'dist', noEmit: false },
      include: ['src'],
      exclude: ['src/**/*.test.ts'],
    }),
  );
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', BASE_DIR],
    { cwd: REPO_ROOT, stdio: 'inherit' },
  );
  return join(BASE_DIR, 'dist', 'index.js');
}

/** One pass over every frame through a fresh-per-build processor; a checksum back. */
function framePath(p: Polygon, frames: Buffer[], nowMs: number): () => string {
  const coalescer = p.createCoalescer({ maxTickers: 50_000 });
  const processor = p.createTradeProcessor({
    policy: p.BACKEND_POLICY,
    coalescer,
  });
  return () => {
    let eligible = 0;
    for (const f of frames)
      eligible += processor.processFrame(f, nowMs).eligible;
    const out = [...coalescer.drain()].sort(([a], [b]) => (a < b ? -1 : 1));
    return `${eligible}:${JSON.stringify(out)}`;
  };
}

function main(argv: string[]): number {
  const opt = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
  };
  const rev = opt('base', 'main');
  const trades = Number(opt('trades', '300000'));
  const rounds = Number(opt('rounds', '21'));
  /* eslint-disable @typescript-eslint/no-require-imports */
  const base = require(buildBase(rev)) as Polygon;
  const head = require('@tickpulse/polygon') as Polygon;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const rec = recordFrames(trades);
  const run = {
    base: framePath(base, rec.frames, rec.nowMs),
    head: framePath(head, rec.frames, rec.nowMs),
  };
  for (let w = 0; w < 3; w++) {
    if (run.base() !== run.head())
      throw new Error('the two builds coalesced different maps');
  }
  const us = { base: [] as number[], head: [] as number[] };
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order =
      r % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const);
    const t = { base: 0, head: 0 };
    for (const k of order) {
      const c0 = process.cpuUsage();
      run[k]();
      const c = process.cpuUsage(c0);
      t[k] = (c.user + c.system) / rec.trades;
      us[k].push(t[k]);
    }
    ratios.push(t.head / t.base);
  }
  const s = summarize(ratios);
  const b = summarize(us.base);
  const h = summarize(us.head);
  console.log(
    `frame path, ${rec.trades} trades in ${rec.frames.length} frames, ${rounds} interleaved rounds: ` +
      `${rev} ${fmt(b.median, 3)} µs/trade, working tree ${fmt(h.median, 3)} µs/trade; ` +
      `ratio ${fmt(s.median, 3)} (min ${fmt(s.min, 3)}, max ${fmt(s.max, 3)})`,
  );
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
