import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** One app of the local system: its entry script, port and environment. */
export interface AppSpec {
  name: string;
  script: string;
  port: number;
  env: Record<string, string>;
}

/** A running app. */
interface Running {
  spec: AppSpec;
  child: ChildProcess;
  log: WriteStream;
  exited: Promise<number | null>;
}

/** Repo-relative entry of an app. */
export const appScript = (root: string, app: string) =>
  join(root, 'apps', app, 'dist', 'main.js');

/**
 * Starts the apps as child processes. Their JSON logs go to
 * `<logDir>/<app>.log`; warnings and errors are also echoed to the console
 * (the terminal shows status lines, not thousands of log lines).
 */
export function startApps(opts: {
  specs: AppSpec[];
  logDir: string;
  baseEnv: NodeJS.ProcessEnv;
  echo: (line: string) => void;
  onExit: (app: string, code: number | null) => void;
}): {
  /** Stops every app; resolves to each app's exit code (null: killed by a signal). */
  stop(graceMs: number): Promise<Record<string, number | null>>;
  healthy(timeoutMs: number): Promise<boolean>;
} {
  mkdirSync(opts.logDir, { recursive: true });
  const apps: Running[] = opts.specs.map(spec => {
    const log = createWriteStream(join(opts.logDir, `${spec.name}.log`), {
      flags: 'a',
    });
    // Own process group: Ctrl-C reaches only the launcher, which then stops
    // the apps with one SIGTERM each (a second signal would make them skip
    // their graceful shutdown).
    const child = spawn(process.execPath, [spec.script], {
      env: { ...opts.baseEnv, ...spec.env, HTTP_PORT: String(spec.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.pipe(log, { end: false });
      if (stream) {
        createInterface({ input: stream }).on('line', line => {
          const level = /"level":"(warn|error|fatal)"/.exec(line)?.[1];
          if (level || stream === child.stderr)
            opts.echo(`[${spec.name}] ${summarizeLogLine(line)}`);
        });
      }
    }
    const exited = new Promise<number | null>(resolve =>
      child.once('exit', code => {
        resolve(code);
        opts.onExit(spec.name, code);
      }),
    );
    return { spec, child, log, exited };
  });

  // Never leave orphans behind, even when the launcher itself dies.
  process.once('exit', () => {
    for (const app of apps)
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
  });

  return {
    /** Resolves when every app answers /healthz (false after `timeoutMs`). */
    async healthy(timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      const pending = new Set(apps.map(a => a.spec));
      while (pending.size > 0 && Date.now() < deadline) {
        for (const spec of [...pending]) {
          const ok = await fetch(`http://127.0.0.1:${spec.port}/healthz`, {
            signal: AbortSignal.timeout(1000),
          }).then(
            r => r.ok,
            () => false,
          );
          if (ok) pending.delete(spec);
        }
        if (pending.size > 0) await new Promise(r => setTimeout(r, 250));
      }
      return pending.size === 0;
    },
    async stop(graceMs) {
      // Reverse start order: intake (ingest) stops before the writers drain.
      for (const app of [...apps].reverse()) {
        if (app.child.exitCode === null && app.child.signalCode === null)
          app.child.kill('SIGTERM');
      }
      const timer = setTimeout(() => {
        for (const app of apps)
          if (app.child.exitCode === null) app.child.kill('SIGKILL');
      }, graceMs);
      const codes = await Promise.all(apps.map(a => a.exited));
      clearTimeout(timer);
      for (const app of apps) app.log.end();
      return Object.fromEntries(
        apps.map((a, i) => [a.spec.name, codes[i] ?? null]),
      );
    },
  };
}

/** A log line shortened for the console: level and message, the rest left to the log file. */
export function summarizeLogLine(line: string): string {
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const err = o.err as { message?: string } | undefined;
    return `${String(o.level ?? '')} ${String(o.msg ?? '')}${err?.message ? `: ${err.message}` : ''}`.trim();
  } catch {
    return line.slice(0, 300);
  }
}
