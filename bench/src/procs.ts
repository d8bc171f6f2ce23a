import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePromText, type PromSample } from '@tickpulse/service-kit';
import { waitFor } from '@tickpulse/testkit';
import { REPO_ROOT } from './results.js';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux). */
const CLK_TCK = 100;

/** A child process the bench started, with its log file. */
export interface App {
  name: string;
  proc: ChildProcess;
  pid: number;
  log: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `node <script>` from the repository root with extra env and node
 * flags; stdout/stderr go to `<logDir>/<name>.log`. `node` is the binary
 * (default: the one running the bench).
 */
export function spawnApp(
  name: string,
  script: string,
  env: Record<string, string>,
  logDir: string,
  nodeArgs: string[] = [],
  node = process.execPath,
): App {
  const log = join(logDir, `${name}.log`);
  const out = createWriteStream(log);
  const proc = spawn(node, [...nodeArgs, join(REPO_ROOT, script)], {
    cwd: logDir,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.pipe(out);
  proc.stderr!.pipe(out);
  if (proc.pid === undefined) throw new Error(`${name}: spawn failed`);
  const exited = new Promise<void>(r => proc.once('exit', () => r()));
  return {
    name,
    proc,
    pid: proc.pid,
    log,
    async stop(graceMs = 15_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Waits until GET `url` answers 2xx. */
export async function waitHttp(url: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      const r = await fetch(url);
      return r.ok;
    },
    { timeoutMs, intervalMs: 200, what: url },
  );
}

/** utime + stime of a process in seconds (all threads). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at ")".
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

/** VmRSS and VmHWM (peak) in MiB. */
export function memory(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) =>
    Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

/** Samples RSS of several processes every `intervalMs` until stopped. */
export function startRssSampler(
  pids: Record<string, number>,
  intervalMs = 1000,
): { samples: Record<string, number[]>; stop(): void } {
  const samples: Record<string, number[]> = {};
  for (const k of Object.keys(pids)) samples[k] = [];
  const take = () => {
    for (const [k, pid] of Object.entries(pids)) {
      try {
        samples[k]!.push(memory(pid).rssMiB);
      } catch {
        // the process is gone (e.g. redis killed on purpose)
      }
    }
  };
  take();
  const t = setInterval(take, intervalMs);
  return {
    samples,
    stop: () => clearInterval(t),
  };
}

/** Fetches and parses a /metrics endpoint. */
export async function scrape(url: string): Promise<PromSample[]> {
  return parsePromText(await (await fetch(url)).text());
}

/** POSTs JSON to a control endpoint. */
export async function postJson(url: string, body: unknown): Promise<unknown> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`POST ${url}: ${r.status} ${await r.text()}`);
  return r.json();
}

/** Parses INFO commandstats into command → calls. */
export function parseCommandStats(info: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** after − before per command (commands absent before count from 0). */
export function commandDelta(
  after: Map<string, number>,
  before: Map<string, number>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}
