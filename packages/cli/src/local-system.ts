import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** One app of the local system: its entry script, port and environment. */
export interface AppSpec {
  name: string;
  script: string;
  port: number;
  env: Record<string, string>;
  /** The apps after it start only once it answers /healthz (a server they dial at start-up). */
  healthyBeforeNext?: boolean;
  /** Stopped, and waited for, before the others (the intake, whose last flush the writers take). */
  stopFirst?: boolean;
}

/** A running app. */
interface Running {
  spec: AppSpec;
  child: ChildProcess;
  log: WriteStream;
  exited: Promise<number | null>;
}

/** The started apps, as `startApps` hands them back. */
export interface LocalSystem {
  /** Resolves when every app answers /healthz (false after `timeoutMs`). */
  healthy(timeoutMs: number): Promise<boolean>;
  /**
   * Stops every app: the `stopFirst` ones, then `between` (e.g. wait for a
   * queue to drain), then the rest; SIGKILL for whatever still runs after
   * `graceMs`. Resolves to each started app's exit code (null: killed by a
   * signal).
   */
  stop(
    graceMs: number,
    between?: () => Promise<void>,
  ): Promise<Record<string, number | null>>;
}

/** Repo-relative entry of an app. */
export const appScript = (root: string, app: string) =>
  join(root, 'apps', app, 'dist', 'main.js');

const answersHealthz = (port: number): Promise<boolean> =>
  fetch(`http://127.0.0.1:${port}/healthz`, {
    signal: AbortSignal.timeout(1000),
  }).then(
    r => r.ok,
    () => false,
  );

const pause = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * Starts the apps as child processes, in order. Their JSON logs go to
 * `<logDir>/<app>.log`; warnings and errors are also echoed to the console
 * (the terminal shows status lines, not thousands of log lines).
 */
export function startApps(opts: {
  specs: AppSpec[];
  logDir: string;
  baseEnv: NodeJS.ProcessEnv;
  echo: (line: string) => void;
  onExit: (app: string, code: number | null) => void;
}): LocalSystem {
  mkdirSync(opts.logDir, { recursive: true });
  const apps: Running[] = [];
  let stopping = false;

  const launch = (spec: AppSpec): Running => {
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
  };

  // Waits while the app runs and nobody stops the system; an app that never
  // answers is left to `healthy()` and the caller's deadline to report.
  const untilHealthy = async (app: Running): Promise<boolean> => {
    let gone = false;
    void app.exited.then(() => (gone = true));
    while (!stopping && !gone) {
      if (await answersHealthz(app.spec.port)) return true;
      await pause(100);
    }
    return false;
  };

  const starting = (async () => {
    for (const spec of opts.specs) {
      if (stopping) return;
      const app = launch(spec);
      apps.push(app);
      if (spec.healthyBeforeNext && !(await untilHealthy(app))) return;
    }
  })();

  // Never leave orphans behind, even when the launcher itself dies.
  process.once('exit', () => {
    for (const app of apps)
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
  });

  const terminate = (list: Running[]) => {
    for (const app of list)
      if (app.child.exitCode === null && app.child.signalCode === null)
        app.child.kill('SIGTERM');
  };

  return {
    async healthy(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const pending = new Set(opts.specs);
      while (pending.size > 0 && Date.now() < deadline && !stopping) {
        for (const spec of [...pending])
          if (await answersHealthz(spec.port)) pending.delete(spec);
        if (pending.size > 0) await pause(250);
      }
      return pending.size === 0;
    },
    async stop(graceMs, between) {
      stopping = true;
      await starting;
      const timer = setTimeout(() => {
        for (const app of apps)
          if (app.child.exitCode === null) app.child.kill('SIGKILL');
      }, graceMs);
      const first = apps.filter(a => a.spec.stopFirst);
      terminate(first);
      await Promise.all(first.map(a => a.exited));
      await between?.();
      terminate(apps);
      const codes = await Promise.all(apps.map(a => a.exited));
      clearTimeout(timer);
      for (const app of apps) app.log.end();
      return Object.fromEntries(
        apps.map((a, i) => [a.spec.name, codes[i] ?? null]),
      );
    },
  };
}

/**
 * The apps whose port is taken, tried the way the apps bind (0.0.0.0): a
 * system started twice otherwise fails app by app with EADDRINUSE.
 */
export async function busyPorts(specs: AppSpec[]): Promise<AppSpec[]> {
  const busy: AppSpec[] = [];
  for (const spec of specs) {
    const free = await new Promise<boolean>(resolve => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(spec.port, '0.0.0.0', () => srv.close(() => resolve(true)));
    });
    if (!free) busy.push(spec);
  }
  return busy;
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
