import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (bench/dist/… → ../..). */
export const REPO_ROOT = resolve(__dirname, '..', '..');
/** Where results are written. */
export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');

/** The machine a result was measured on. */
export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  /** 1-minute load average when the run started (other work on the machine). */
  loadAvgAtStart: number;
}

function tryRun(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** nproc, CPU model, memory, kernel and load. */
export function machineInfo(): MachineInfo {
  const loadAvg = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  return {
    nproc: Number(tryRun('nproc', [])) || cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: tryRun('uname', ['-r']),
    loadAvgAtStart: loadAvg,
  };
}

function pkgVersion(dir: string): string {
  try {
    const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return p.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** node, redis-server, PostgreSQL and the package versions that matter. */
export function versions(): Record<string, string> {
  const redis =
    /v=(\S+)/.exec(tryRun('redis-server', ['--version']))?.[1] ?? 'unknown';
  const out: Record<string, string> = {
    node: process.version,
    'redis-server': redis,
    postgresql: tryRun('psql', ['--version']).replace(
      /^psql \(PostgreSQL\) /,
      '',
    ),
    git: tryRun('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']),
  };
  for (const name of ['ioredis', 'bullmq', 'ws', 'pg', 'prom-client']) {
    out[name] = pkgVersion(join(REPO_ROOT, 'node_modules', name));
  }
  for (const ws of [
    'packages/polygon',
    'packages/polygon-sim',
    'packages/contracts',
    'packages/redis',
    'packages/service-kit',
    'packages/throttle',
    'apps/ingest',
    'apps/polygon-sim',
    'apps/tick-writer',
    'apps/universe-sync',
  ]) {
    out[
      `@tickpulse/${ws.split('/')[1]}${ws.startsWith('apps') ? ' (app)' : ''}`
    ] = pkgVersion(join(REPO_ROOT, ws));
  }
  return out;
}

/** What every result file carries besides its numbers. */
export interface ResultHeader {
  benchmark: string;
  title: string;
  mode: 'full' | 'quick';
  date: string;
  command: string;
  machine: MachineInfo;
  versions: Record<string, string>;
}

/** Builds the header for a benchmark run. */
export function header(
  benchmark: string,
  title: string,
  mode: 'full' | 'quick',
  command: string,
): ResultHeader {
  return {
    benchmark,
    title,
    mode,
    date: new Date().toISOString(),
    command,
    machine: machineInfo(),
    versions: versions(),
  };
}

/** Markdown lines describing the header. */
export function headerMarkdown(h: ResultHeader): string {
  const m = h.machine;
  const v = h.versions;
  const pkgs = Object.entries(v)
    .filter(([k]) => !['node', 'redis-server', 'postgresql', 'git'].includes(k))
    .map(([k, val]) => `${k} ${val}`)
    .join(', ');
  return [
    `# ${h.title}`,
    '',
    `- Date: ${h.date} (mode: ${h.mode})`,
    `- Command: \`${h.command}\``,
    `- Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB RAM, Linux ${m.kernel}, load average ${m.loadAvgAtStart} at start (the machine is shared)`,
    `- Versions: Node ${v.node}, redis-server ${v['redis-server']}, PostgreSQL ${v.postgresql}, git ${v.git}`,
    `- Packages: ${pkgs}`,
    '',
  ].join('\n');
}

/**
 * Writes `<name>.json` and `<name>.md` into `dir` (quick runs go to a
 * scratch directory so they never overwrite recorded full results).
 */
export function writeResult(
  dir: string,
  name: string,
  h: ResultHeader,
  data: unknown,
  markdownBody: string,
): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const md = join(dir, `${name}.md`);
  writeFileSync(json, `${JSON.stringify({ ...h, results: data }, null, 2)}\n`);
  writeFileSync(md, `${headerMarkdown(h)}${markdownBody.trimEnd()}\n`);
  return { json, md };
}
