import type { Logger } from 'pino';

/** One ordered step of a shutdown: stop intake, drain, flush, disconnect, close the server. */
export interface ShutdownStep {
  name: string;
  run: () => unknown;
}

/** Default overall deadline: below Kubernetes' default 30 s grace period, with margin. */
export const DEFAULT_SHUTDOWN_DEADLINE_MS = 20_000;

/** Resolves after `ms`; the timer does not keep the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}

/** Resolves to the promise's value, or rejects with a timeout error after `ms`. */
export function withDeadline<T>(
  p: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${ms} ms`)),
      ms,
    );
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface Shutdown {
  /** Runs every step once, in order, under the deadline; resolves to the exit code. */
  run(reason: string): Promise<number>;
  /** Hooks SIGTERM/SIGINT and fatal process errors; exits when the steps are done. */
  install(): void;
}

/**
 * Ordered, idempotent shutdown under one deadline. A failing or overdue step
 * is logged and the remaining steps still run; any failure makes the exit
 * code 1. A second signal exits at once.
 */
export function createShutdown(opts: {
  logger: Logger;
  steps: ShutdownStep[] | (() => ShutdownStep[]);
  deadlineMs?: number;
  exit?: (code: number) => void;
}): Shutdown {
  const deadlineMs = opts.deadlineMs ?? DEFAULT_SHUTDOWN_DEADLINE_MS;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let running: Promise<number> | undefined;

  const doRun = async (reason: string): Promise<number> => {
    const started = Date.now();
    opts.logger.info({ reason, deadlineMs }, 'shutting down');
    const steps = typeof opts.steps === 'function' ? opts.steps() : opts.steps;
    let failed = false;
    for (const step of steps) {
      const left = Math.max(deadlineMs - (Date.now() - started), 1);
      try {
        await withDeadline(
          Promise.resolve().then(step.run),
          left,
          `shutdown step ${step.name}`,
        );
      } catch (err) {
        failed = true;
        opts.logger.error({ err, step: step.name }, 'shutdown step failed');
      }
    }
    const code = failed || reason === 'fatal' ? 1 : 0;
    opts.logger.info(
      { durationMs: Date.now() - started, code },
      'shutdown complete',
    );
    return code;
  };

  const run = (reason: string) => (running ??= doRun(reason));

  return {
    run,
    install() {
      const onSignal = (signal: NodeJS.Signals) => {
        if (running) {
          opts.logger.warn({ signal }, 'second signal, exiting now');
          exit(1);
          return;
        }
        void run(signal).then(exit);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      const onFatal = (err: unknown) => {
        opts.logger.fatal({ err }, 'unhandled error, shutting down');
        void run('fatal').then(exit);
      };
      process.on('uncaughtException', onFatal);
      process.on('unhandledRejection', onFatal);
    },
  };
}
