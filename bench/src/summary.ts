import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COST_TARGETS, type TargetResult } from './cost-math.js';
import { fmt, fmtInt } from './stats.js';

interface Recorded<T> {
  date: string;
  command: string;
  mode: string;
  machine: { nproc: number; cpuModel: string; memoryGiB: number };
  versions: Record<string, string>;
  results: T;
}

function load<T>(dir: string, name: string): Recorded<T> | null {
  const f = join(dir, `${name}.json`);
  if (!existsSync(f)) return null;
  return JSON.parse(readFileSync(f, 'utf8')) as Recorded<T>;
}

type S = { median: number; min: number; max: number };

/**
 * Writes `README.md` in the results directory: one table of targets with
 * the recorded numbers, built from the JSON files present.
 */
export function writeSummary(dir: string): string {
  const hot = load<{
    tradesPerSecond: Record<string, S>;
    ratioVsJsonParse: S;
    ratioVsNaivePipeline: S;
    trades: number;
  }>(dir, 'hot-path');
  const e2e = load<{
    highestSustained: number;
    seconds: number;
    frameMax: number;
    steps: {
      rate: number;
      simSentPerSec: number;
      sustained: boolean;
      why: string[];
      freshnessMs: { p50: number; p99: number } | null;
      probeMs: { p50: number; p99: number };
      redisCommandsPerTrade: number;
      procs: Record<string, { cpuPercent: number; peakRssMiB: number }>;
    }[];
  }>(dir, 'e2e');
  const base = load<{
    baselineTradesPerSec: S;
    baselineCommandsPerTrade: S;
    tickpulse: { highestSustained: number | null; commandsPerTrade: number };
    ratio: number;
  }>(dir, 'baseline');
  const univ = load<{
    strategies: number;
    perStrategy: number;
    summaries: Record<string, S>;
  }>(dir, 'universe');
  const mem = load<{
    rate: number;
    outageSeconds: number;
    startRss: number;
    peakOutage: number;
    endOutage: number;
    endRss: number;
    peakPending: number;
    receivedRate: number;
    resumedAfterS: number;
    bounded: boolean;
  }>(dir, 'memory');
  const cost = load<{
    devRun: boolean;
    trades: number;
    rate: number;
    rounds: number;
    targets: TargetResult[];
  }>(dir, 'cost');
  const gap = load<{
    rate: number;
    gapSeconds: number;
    healedAfterS: number;
    mismatches: number;
    requests: number;
  }>(dir, 'gap');

  const rows: string[] = [];
  const mark = (ok: boolean) => (ok ? '✅ met' : '❌ missed');
  if (hot) {
    const r = hot.results;
    const fast = r.tradesPerSecond['tickpulse (scanner)']!;
    const json = r.tradesPerSecond['JSON.parse only']!;
    const fb = r.tradesPerSecond['tickpulse fallback (JSON.parse path)']!;
    rows.push(
      `| 1. Hot path (parse → eligibility → coalesce), trades/s per core | ≥ 1.5× plain \`JSON.parse\` | ${fmtInt(fast.median)} vs ${fmtInt(json.median)} → **${fmt(r.ratioVsJsonParse.median)}×** (per-round min ${fmt(r.ratioVsJsonParse.min)}×); fallback path ${fmtInt(fb.median)} | ${mark(r.ratioVsJsonParse.median >= 1.5)} | [hot-path.md](hot-path.md) |`,
    );
  }
  if (e2e) {
    const r = e2e.results;
    const best = r.steps.find(s => s.rate === r.highestSustained);
    const firstFail = r.steps.find(s => !s.sustained);
    rows.push(
      `| 2. End to end sim → ingest → BullMQ → tick-writer → Redis, ${r.seconds} s per rate, freshness p99 < 250 ms | ≥ 300 000 trades/s | **${fmtInt(r.highestSustained)} trades/s**${best?.freshnessMs ? ` (freshness p50/p99 ${fmt(best.freshnessMs.p50, 0)}/${fmt(best.freshnessMs.p99, 0)} ms)` : ''}${firstFail ? `; ${fmtInt(firstFail.rate)}: ${firstFail.why.join('; ')}` : ''} | ${mark(r.highestSustained >= 300_000)} | [e2e.md](e2e.md) |`,
    );
  }
  if (base) {
    const r = base.results;
    rows.push(
      `| 3a. Throughput vs the Go design (one awaited ZADD per eligible trade) | ≥ 20× | baseline ${fmtInt(r.baselineTradesPerSec.median)} trades/s; tickpulse ${fmtInt(r.tickpulse.highestSustained ?? NaN)} → **${fmt(r.ratio, 1)}×** | ${mark(r.ratio >= 20)} | [baseline.md](baseline.md) |`,
    );
    rows.push(
      `| 3b. Redis commands per trade at peak rate | ≤ 0.01 | tickpulse **${fmt(r.tickpulse.commandsPerTrade, 5)}**; baseline ${fmt(r.baselineCommandsPerTrade.median, 3)} | ${mark(r.tickpulse.commandsPerTrade <= 0.01)} | [baseline.md](baseline.md) |`,
    );
  }
  if (univ) {
    const r = univ.results;
    rows.push(
      `| 4. Universe reconcile ${fmtInt(r.strategies)} × ${r.perStrategy} from PostgreSQL, cold | < 5 s | **${fmt(r.summaries.tickpulseCold!.median / 1000, 2)} s** cold, ${fmt(r.summaries.tickpulseUnchanged!.median / 1000, 2)} s unchanged; per-strategy baseline ${fmt(r.summaries.baselineCold!.median / 1000, 2)} s | ${mark(r.summaries.tickpulseCold!.median < 5000)} | [universe.md](universe.md) |`,
    );
  }
  if (mem) {
    const r = mem.results;
    const starved = r.receivedRate < r.rate * 0.9;
    rows.push(
      `| 5. ingest RSS through a ${r.outageSeconds} s Redis outage at ${fmtInt(r.rate)} trades/s | flat (bounded) | ${fmt(r.startRss, 0)} MiB before → peak ${fmt(r.peakOutage, 0)} → ${fmt(r.endOutage, 0)} at the end of the outage; ≤ ${fmtInt(r.peakPending)} pending tickers; publishing resumed ${fmt(r.resumedAfterS, 1)} s after restore${starved ? `; but ingest read only ${fmtInt(r.receivedRate)} trades/s during the outage (see below)` : ''} | ${r.bounded ? (starved ? '✅ RSS met (reading limited by CPU, see below)' : '✅ met') : '❌ missed'} | [memory.md](memory.md) |`,
    );
  }
  if (cost) {
    const r = cost.results;
    const std = r.targets.filter(t => t.variant.startsWith('standalone-'));
    const missed = std.filter(t => !t.met).length;
    const byNode = [...new Set(std.map(t => t.variant))].map(
      v =>
        `${v.replace('standalone-', '')}: ${std
          .filter(t => t.variant === v)
          .map(t => `${t.short} ${fmt(t.median, 2)}`)
          .join(', ')}`,
    );
    rows.push(
      `| 6. Cost per trade vs a bare \`JSON.parse\` client and the frames-only floor, ${fmtInt(r.trades)} trades at full speed and paced at ${fmtInt(r.rate)}/s × ${r.rounds} (standalone Redis; cluster in the details) | ${COST_TARGETS.map(t => t.label).join(', ')} | ${byNode.join('; ')} | ${r.devRun ? '⚠️ dev run only, not a recorded result' : missed === 0 ? '✅ met' : `❌ ${missed} of ${std.length} missed`} | [cost.md](cost.md) |`,
    );
  }
  if (gap) {
    const r = gap.results;
    rows.push(
      `| 7. Gap healing: ingest SIGKILLed for a ${r.gapSeconds} s gap in a 10 000-ticker market at ${fmtInt(r.rate)} trades/s, reconnect → \`TICK:UPD\` exact from REST | time and REST requests | ${r.mismatches === 0 ? `**${fmt(r.healedAfterS, 2)} s**` : `${fmtInt(r.mismatches)} tickers still differ`}, ${fmtInt(r.requests)} REST requests (attempts) | ${r.mismatches === 0 ? 'recorded' : '❌ not healed'} | [gap.md](gap.md) |`,
    );
  }
  const any = hot ?? e2e ?? base ?? univ ?? mem;
  const machine = any
    ? `${any.machine.nproc} CPUs (${any.machine.cpuModel}), ${any.machine.memoryGiB} GiB RAM, Node ${any.versions.node}, redis-server ${any.versions['redis-server']}`
    : 'n/a';
  const seen = new Set<string>();
  // A dev run of the cost benchmark is not a recorded run.
  const dates = [
    hot,
    e2e,
    base,
    univ,
    mem,
    cost?.results.devRun ? null : cost,
    gap,
  ]
    .filter(r => r !== null && !seen.has(r.command) && !!seen.add(r.command))
    .map(r => `${r!.date.slice(0, 16)} (${r!.command})`);
  const text = [
    '# Benchmark results',
    '',
    `Recorded full runs on ${machine}. Every benchmark has a \`.md\` (setup, method, table) and a \`.json\` (machine, versions, date, command, every sample) next to this file. Runs: ${[...new Set(dates)].join('; ')}.`,
    '',
    '## Benchmarks',
    '',
    '`npm run bench` (after `npm run build`) runs every benchmark in full; `npm run bench -- --only hot-path,e2e` selects some; `npm run bench -- --quick` is the CI smoke run (small sizes, a few seconds per stage, asserts nothing about speed but fails when a stage produces nothing or wrong results; it writes to a temp directory, not here). Every process shares the same 2 noisy cores; ratios come from runs interleaved side by side, as medians with their spread.',
    '',
    '| benchmark | target | result | | details |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    "See also [planner.md](planner.md) (throttle planner: server-side script vs client-side; `--only planner`) and [footprint.md](footprint.md) (Redis bytes per part, `--only footprint`; the README's budget table).",
    '',
    ...(existsSync(join(dir, 'notes.md'))
      ? [readFileSync(join(dir, 'notes.md'), 'utf8').trimEnd(), '']
      : []),
  ].join('\n');
  writeFileSync(join(dir, 'README.md'), text);
  return text;
}
