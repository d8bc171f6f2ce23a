/**
 * Where a `node --cpu-prof` profile spends its time: self time aggregated
 * by function (name + file:line), as a markdown table.
 *
 *   node bench/dist/cpu-profile.js <file.cpuprofile> [--top 25]
 */
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from './results.js';

/** The parts of V8's `.cpuprofile` format the summary reads. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: {
      functionName: string;
      url: string;
      /** 0-based. */
      lineNumber: number;
    };
    hitCount?: number;
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  /** µs before each sample (the first from startTime). */
  timeDeltas?: number[];
}

/** One function's share of a profile. */
export interface SelfTime {
  name: string;
  /** `file:line` (1-based), relative to the repository; empty for V8's pseudo-frames. */
  location: string;
  selfMs: number;
  /** Of the whole profile. */
  share: number;
  /** Of the non-idle time (`(idle)` excluded). */
  busyShare: number;
}

const IDLE = '(idle)';

function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  if (path.startsWith(`${REPO_ROOT}/`)) return path.slice(REPO_ROOT.length + 1);
  const nm = path.lastIndexOf('/node_modules/');
  return nm >= 0 ? path.slice(nm + 1) : path;
}

/**
 * Self time per function, heaviest first. A sample lasts until the next
 * one (the last until `endTime`); without samples, hit counts share the
 * profile's duration evenly.
 */
export function summarizeProfile(profile: CpuProfile): SelfTime[] {
  const byNode = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  if (samples && timeDeltas && samples.length === timeDeltas.length) {
    let t = profile.startTime;
    const at = timeDeltas.map(d => (t += d));
    for (let i = 0; i < samples.length; i++) {
      const next = i + 1 < at.length ? at[i + 1]! : profile.endTime;
      const us = Math.max(0, next - at[i]!);
      byNode.set(samples[i]!, (byNode.get(samples[i]!) ?? 0) + us);
    }
  } else {
    const hits = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
    const per = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
    for (const n of profile.nodes) byNode.set(n.id, (n.hitCount ?? 0) * per);
  }
  const byFn = new Map<
    string,
    { name: string; location: string; us: number }
  >();
  for (const n of profile.nodes) {
    const us = byNode.get(n.id) ?? 0;
    if (us === 0) continue;
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    const location = cf.url ? `${shorten(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${name}\u0000${location}`;
    const e = byFn.get(key);
    if (e) e.us += us;
    else byFn.set(key, { name, location, us });
  }
  const total = [...byFn.values()].reduce((a, e) => a + e.us, 0);
  const idle = [...byFn.values()]
    .filter(e => e.name === IDLE && e.location === '')
    .reduce((a, e) => a + e.us, 0);
  return [...byFn.values()]
    .sort((a, b) => b.us - a.us)
    .map(e => ({
      name: e.name,
      location: e.location,
      selfMs: e.us / 1000,
      share: total > 0 ? e.us / total : 0,
      busyShare:
        e.name === IDLE && e.location === ''
          ? NaN
          : total > idle
            ? e.us / (total - idle)
            : 0,
    }));
}

/** The `top` heaviest functions as a markdown table. */
export function profileTable(rows: readonly SelfTime[], top = 25): string {
  const pct = (x: number) =>
    Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '–';
  return [
    '| # | self ms | of total | of busy | function | location |',
    '|---|---|---|---|---|---|',
    ...rows
      .slice(0, top)
      .map(
        (r, i) =>
          `| ${i + 1} | ${r.selfMs.toFixed(1)} | ${pct(r.share)} | ${pct(r.busyShare)} | \`${r.name}\` | ${r.location ? `\`${r.location}\`` : ''} |`,
      ),
  ].join('\n');
}

function main(argv: string[]): number {
  let file: string | undefined;
  let top = 25;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') top = Number(argv[++i]);
    else file ??= argv[i];
  }
  if (!file || !(top > 0)) {
    console.error(
      'usage: node bench/dist/cpu-profile.js <file.cpuprofile> [--top 25]',
    );
    return 2;
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  console.log(profileTable(summarizeProfile(profile), top));
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
