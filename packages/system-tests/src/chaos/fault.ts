import type { ChaosLoad } from './load.js';
import type { WaitHealthy } from './recovery.js';
import type { ChaosMode, FaultRecord } from './result.js';
import type { ChaosStack } from './stack.js';

/** What a fault may touch: the running stack, the background load, the health wait. */
export interface FaultContext {
  readonly stack: ChaosStack;
  readonly load: ChaosLoad;
  readonly healthy: WaitHealthy;
}

/**
 * One entry of the fault table (`faults.ts`). The runner times `inject` and
 * `recover` separately and records the fault as ok only when both resolved
 * and `evidence` is not empty: a fault no metric or log line shows is a
 * failure of observability, even if the system survived it.
 */
export interface Fault {
  /** Unique kebab-case id; the report's first column. */
  readonly name: string;
  /** One line for the report: what is done to the system. */
  readonly what: string;
  /** Modes this fault runs in; both when absent. */
  readonly modes?: readonly ChaosMode[];
  /**
   * Does the damage (and undoes it, e.g. restarts what it killed), pushing
   * what an operator would see — metric deltas, log lines — to `evidence`.
   * Throws when the system reacted wrongly (e.g. a non-zero exit on SIGTERM).
   */
  inject(ctx: FaultContext, evidence: string[]): Promise<void>;
  /** Waits until the system has recovered; `ctx.healthy()` when absent. */
  recover?(ctx: FaultContext, evidence: string[]): Promise<void>;
}

/** True when `fault` belongs in a run of `mode`. */
export function runsIn(fault: Fault, mode: ChaosMode): boolean {
  return fault.modes === undefined || fault.modes.includes(mode);
}

/** Injects one fault, waits for recovery and records both; never throws. */
export async function runFault(
  fault: Fault,
  ctx: FaultContext,
  log: (line: string) => void,
): Promise<FaultRecord> {
  const evidence: string[] = [];
  const rec: FaultRecord = {
    name: fault.name,
    what: fault.what,
    injectMs: 0,
    recoveryMs: null,
    evidence,
    ok: false,
  };
  log(`fault: ${fault.name}`);
  const s = Date.now();
  try {
    await fault.inject(ctx, evidence);
    rec.injectMs = Date.now() - s;
    const r = Date.now();
    await (fault.recover ? fault.recover(ctx, evidence) : ctx.healthy());
    rec.recoveryMs = Date.now() - r;
    rec.ok = evidence.length > 0;
    if (!rec.ok) rec.error = 'no metric or log line shows this fault';
  } catch (err) {
    rec.error = String((err as Error).message ?? err);
  }
  log(
    `  ${rec.ok ? 'ok' : 'FAILED'} inject ${rec.injectMs} ms, recovery ${rec.recoveryMs ?? '-'} ms; ${evidence.join('; ')}${rec.error ? ` — ${rec.error}` : ''}`,
  );
  return rec;
}
