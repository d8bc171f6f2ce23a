import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, BenchOutcome } from './context.js';
import { runBaseline } from './baseline.js';
import { runCost } from './cost.js';
import { runEndToEnd } from './e2e.js';
import { runGap } from './gap.js';
import { runFootprint } from './footprint.js';
import { runHotPath } from './hot-path.js';
import { runMemory } from './memory.js';
import { runPlanner } from './planner.js';
import { runUniverse } from './universe.js';
import { header, RESULTS_DIR, writeResult } from './results.js';
import { writeSummary } from './summary.js';

type Bench = {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchOutcome>;
};

const BENCHES: Bench[] = [
  {
    name: 'hot-path',
    title: 'Hot path: parse → eligibility → coalesce vs JSON.parse',
    run: runHotPath,
  },
  {
    name: 'e2e',
    title: 'End to end: polygon-sim → ingest → BullMQ → tick-writer → Redis',
    run: runEndToEnd,
  },
  {
    name: 'baseline',
    title:
      'Baseline: one awaited ZADD per eligible trade (the Go backend design) vs tickpulse',
    run: runBaseline,
  },
  {
    name: 'universe',
    title:
      'Universe reconcile: PostgreSQL → Redis, cold and unchanged, vs one query per strategy',
    run: runUniverse,
  },
  {
    name: 'memory',
    title: 'Memory: ingest RSS through a Redis outage at full rate',
    run: runMemory,
  },
  {
    name: 'planner',
    title:
      'Throttle planner: server-side script vs client-side intersection (the Go loop)',
    run: runPlanner,
  },
  {
    name: 'gap',
    title:
      'Gap healing: reconnect → TICK:UPD exact after a 10 s gap in a 10 000-ticker market',
    run: runGap,
  },
  {
    name: 'footprint',
    title: "Footprint: tickpulse's Redis bytes per part",
    run: runFootprint,
  },
  {
    name: 'cost',
    title:
      'Cost per trade: ingest, tick-writer and Redis CPU next to a bare JSON.parse client and the frames-only floor, at full speed and paced (standalone, cluster, other Node majors)',
    run: runCost,
  },
];

function parseArgs(argv: string[]): {
  quick: boolean;
  only: string[];
  out?: string;
  opts: Record<string, string>;
} {
  let quick = false;
  const only: string[] = [];
  let out: string | undefined;
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--only') only.push(...(argv[++i] ?? '').split(','));
    else if (a === '--out') out = argv[++i];
    else if (a === '--summary') opts.summary = '';
    else if (a.startsWith('--')) opts[a.slice(2)] = argv[++i] ?? '';
    else throw new Error(`unexpected argument ${a}`);
  }
  return { quick, only: only.filter(Boolean), out, opts };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.opts.summary !== undefined) {
    // Rebuild results/README.md from the recorded JSON files only.
    writeSummary(args.out ?? RESULTS_DIR);
    return 0;
  }
  const unknown = args.only.filter(n => !BENCHES.some(b => b.name === n));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHES.map(b => b.name).join(', ')}`,
    );
    return 2;
  }
  const selected =
    args.only.length > 0
      ? BENCHES.filter(b => args.only.includes(b.name))
      : BENCHES;
  const mode = args.quick ? 'quick' : 'full';
  // Quick runs never overwrite the recorded full results.
  const outDir =
    args.out ??
    (args.quick ? join(tmpdir(), 'tickpulse-bench-quick') : RESULTS_DIR);
  const workDir = mkdtempSync(join(tmpdir(), 'tickpulse-bench-'));
  mkdirSync(outDir, { recursive: true });
  const command = `npm run bench --${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const t0 = Date.now();
  let failed = 0;
  const summaries: string[] = [];
  const earlier: Record<string, unknown> = {};
  for (const b of selected) {
    const ctx: BenchContext = {
      quick: args.quick,
      workDir,
      opts: args.opts,
      earlier,
      log: msg =>
        console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`),
    };
    ctx.log(`${b.name}: start (${mode})`);
    const h = header(b.name, b.title, mode, command);
    let outcome: BenchOutcome;
    try {
      outcome = await b.run(ctx);
    } catch (err) {
      failed++;
      console.error(`${b.name}: FAILED`, err);
      summaries.push(`${b.name}: FAILED (${(err as Error).message})`);
      continue;
    }
    if (outcome.skipped) {
      ctx.log(`${b.name}: skipped — ${outcome.skipped}`);
      summaries.push(`${b.name}: skipped — ${outcome.skipped}`);
      continue;
    }
    earlier[b.name] = outcome.data;
    const files = writeResult(
      outDir,
      b.name,
      h,
      outcome.data,
      outcome.markdown,
    );
    ctx.log(`${b.name}: ${outcome.summary}`);
    ctx.log(`${b.name}: wrote ${files.md}`);
    if (outcome.problems.length > 0) {
      failed++;
      for (const p of outcome.problems)
        console.error(`${b.name}: HARNESS PROBLEM: ${p}`);
      summaries.push(`${b.name}: BROKEN (${outcome.problems.join('; ')})`);
    } else summaries.push(`${b.name}: ${outcome.summary}`);
  }
  console.log(
    `\n${mode} run, ${((Date.now() - t0) / 1000).toFixed(1)} s, logs in ${workDir}`,
  );
  for (const s of summaries) console.log(`- ${s}`);
  if (args.quick) {
    console.log(
      'quick mode: sizes are tiny, so "met/MISSED" above means nothing; the exit status reports harness health only',
    );
  }
  writeSummary(outDir);
  return failed > 0 ? 1 : 0;
}

main().then(
  code => process.exit(code),
  err => {
    console.error(err);
    process.exit(1);
  },
);
