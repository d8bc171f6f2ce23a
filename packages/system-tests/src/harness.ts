import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parsePromText, sumOf, type PromSample } from '@tickpulse/service-kit';
import { freePort, waitFor } from '@tickpulse/testkit';

/** The monorepo root (this file lives in packages/system-tests/{src,dist}). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** One parsed JSON log line of an app. */
export type LogLine = Record<string, unknown> & { msg?: string };

/** How one process run ended. */
export interface ExitRecord {
  name: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the harness itself sent the signal that ended it. */
  expected: boolean;
  at: number;
}

/** A running (or restartable) app process. */
export interface AppProcess {
  readonly name: string;
  readonly app: string;
  readonly port: number;
  /** Every JSON log line of every run, in order. */
  readonly lines: LogLine[];
  /** Every raw stdout/stderr chunk of every run (for secret greps). */
  readonly raw: string[];
  readonly env: Record<string, string>;
  pid(): number | undefined;
  running(): boolean;
  /** Spawns the process (again) and waits for /readyz unless told not to. */
  start(opts?: { waitReady?: boolean; readyTimeoutMs?: number }): Promise<void>;
  /** Waits until /readyz answers 200. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Sends a signal and waits for the exit (an expected exit). */
  signal(sig: NodeJS.Signals, timeoutMs?: number): Promise<ExitRecord>;
  /** SIGKILL, then start again. */
  restart(sig?: NodeJS.Signals): Promise<void>;
  /** The /metrics text parsed into samples. */
  metrics(): Promise<PromSample[]>;
  /** Sum of a metric's samples whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Resident set size in bytes (from /proc), or undefined when not running. */
  rssBytes(): number | undefined;
  /** Log lines whose `msg` contains the text. */
  logsMatching(text: string | RegExp): LogLine[];
}

/** A set of app processes that always gets cleaned up. */
export interface System {
  /** Declares an app process (not started): `apps/<app>/dist/main.js` with `env`. */
  add(
    name: string,
    app: string,
    env: Record<string, string>,
  ): Promise<AppProcess>;
  get(name: string): AppProcess;
  all(): AppProcess[];
  exits: ExitRecord[];
  /** Exits the harness did not cause (crashes, fatal errors). */
  unexpectedExits(): ExitRecord[];
  /** SIGKILLs every child still running; safe in afterEach and afterAll. */
  killAll(): Promise<void>;
}

/**
 * Creates a process harness. `baseEnv` goes to every app (Redis URL, prefixes,
 * short intervals); each app gets its own `HTTP_PORT` from `freePort`.
 */
export function createSystem(baseEnv: Record<string, string>): System {
  const procs = new Map<string, AppProcess>();
  const exits: ExitRecord[] = [];
  const children = new Set<ChildProcess>();

  // Last resort: never leave children behind if the test runner dies. Armed
  // while children run; killAll disarms it and the next start re-arms it.
  const onExit = () => {
    for (const c of children) c.kill('SIGKILL');
  };
  let armed = false;

  const add = async (
    name: string,
    app: string,
    env: Record<string, string>,
  ): Promise<AppProcess> => {
    const port = await freePort();
    const fullEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LOG_LEVEL: 'info',
      ...baseEnv,
      ...env,
      HTTP_PORT: String(port),
    };
    const lines: LogLine[] = [];
    const raw: string[] = [];
    let child: ChildProcess | undefined;
    let expectExit = false;
    let exited: Promise<ExitRecord> | undefined;
    const base = `http://127.0.0.1:${port}`;

    const proc: AppProcess = {
      name,
      app,
      port,
      lines,
      raw,
      env: fullEnv,
      pid: () => child?.pid,
      running: () =>
        !!child && child.exitCode === null && child.signalCode === null,
      async start(opts = {}) {
        if (proc.running()) throw new Error(`${name} is already running`);
        expectExit = false;
        const c = spawn(
          process.execPath,
          [join(REPO_ROOT, 'apps', app, 'dist', 'main.js')],
          { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT },
        );
        child = c;
        children.add(c);
        if (!armed) {
          process.once('exit', onExit);
          armed = true;
        }
        let buf = '';
        c.stdout!.setEncoding('utf8');
        c.stdout!.on('data', (chunk: string) => {
          raw.push(chunk);
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.trim()) continue;
            try {
              lines.push(JSON.parse(line) as LogLine);
            } catch {
              lines.push({ msg: line, unparsed: true });
            }
          }
        });
        c.stderr!.setEncoding('utf8');
        c.stderr!.on('data', (chunk: string) => raw.push(chunk));
        exited = new Promise<ExitRecord>(res => {
          c.once('exit', (code, signal) => {
            children.delete(c);
            const rec: ExitRecord = {
              name,
              pid: c.pid ?? -1,
              code,
              signal,
              expected: expectExit,
              at: Date.now(),
            };
            exits.push(rec);
            res(rec);
          });
        });
        if (opts.waitReady !== false) await proc.waitReady(opts.readyTimeoutMs);
      },
      async waitReady(timeoutMs = 60_000) {
        await waitFor(
          async () => {
            if (!proc.running()) throw new Error(`${name} is not running`);
            const r = await fetch(`${base}/readyz`).catch(() => undefined);
            return r?.status === 200;
          },
          { timeoutMs, intervalMs: 100, what: `${name} /readyz` },
        );
      },
      async signal(sig, timeoutMs = 60_000) {
        const c = child;
        if (!c || !exited || !proc.running())
          throw new Error(`${name} is not running`);
        expectExit = true;
        c.kill(sig);
        const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
        try {
          return await exited;
        } finally {
          clearTimeout(t);
        }
      },
      async restart(sig = 'SIGKILL') {
        if (proc.running()) await proc.signal(sig);
        await proc.start();
      },
      async metrics() {
        const r = await fetch(`${base}/metrics`);
        if (r.status !== 200) throw new Error(`${name} /metrics: ${r.status}`);
        return parsePromText(await r.text());
      },
      async metric(metricName, labels) {
        return sumOf(await proc.metrics(), metricName, labels);
      },
      rssBytes() {
        const pid = child?.pid;
        if (!pid || !proc.running()) return undefined;
        try {
          const status = readFileSync(`/proc/${pid}/status`, 'utf8');
          const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
          return kb ? Number(kb) * 1024 : undefined;
        } catch {
          return undefined;
        }
      },
      logsMatching(text) {
        return lines.filter(l =>
          typeof text === 'string'
            ? String(l.msg ?? '').includes(text)
            : text.test(String(l.msg ?? '')),
        );
      },
    };
    procs.set(name, proc);
    return proc;
  };

  let killing: Promise<void> | undefined;
  return {
    add,
    get(name) {
      const p = procs.get(name);
      if (!p) throw new Error(`no process ${name}`);
      return p;
    },
    all: () => [...procs.values()],
    exits,
    unexpectedExits: () => exits.filter(e => !e.expected),
    killAll() {
      // Concurrent calls share one kill; a later call (the next test's
      // afterEach) kills what was started since.
      killing ??= (async () => {
        await Promise.all(
          [...procs.values()]
            .filter(p => p.running())
            .map(p => p.signal('SIGKILL', 10_000).catch(() => undefined)),
        );
        for (const c of children) c.kill('SIGKILL');
        process.off('exit', onExit);
        armed = false;
      })().finally(() => {
        killing = undefined;
      });
      return killing;
    },
  };
}
