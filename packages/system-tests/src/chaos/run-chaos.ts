import { setTimeout as sleep } from 'node:timers/promises';
import { runFault, runsIn, type Fault, type FaultContext } from './fault.js';
import { CHAOS_FAULTS } from './faults.js';
import { checkInvariants, collectStats, settle } from './invariants.js';
import { startChaosLoad, type ChaosLoad } from './load.js';
import { createWaitHealthy } from './recovery.js';
import type {
  ChaosMode,
  ChaosResult,
  CheckRecord,
  FaultRecord,
} from './result.js';
import { chaosSettings } from './settings.js';
import { startChaosStack, type ChaosStack } from './stack.js';

/** Options of one run. */
export interface RunChaosOptions {
  /** `full` (default) or the shortened form `npm test` runs. */
  mode?: ChaosMode;
  /** Progress lines; stdout with a `[chaos]` prefix when absent. */
  log?: (line: string) => void;
  /** The fault table; `CHAOS_FAULTS` when absent (a subset helps while writing a new fault). */
  faults?: readonly Fault[];
}

/**
 * Runs the suite once: start the stack and the load, let it settle in, run
 * every fault of the table that belongs to the mode, stop the load, settle,
 * check the invariants. Never throws for a failed fault or invariant (see
 * `ok`); a run that breaks off records a failed "suite ran to the end" check.
 */
export async function runChaos(
  opts: RunChaosOptions = {},
): Promise<ChaosResult> {
  const settings = chaosSettings(opts.mode ?? 'full');
  const log = opts.log ?? (line => process.stdout.write(`[chaos] ${line}\n`));
  const table = opts.faults ?? CHAOS_FAULTS;
  const t0 = Date.now();
  const faults: FaultRecord[] = [];
  const checks: CheckRecord[] = [];
  let stats: ChaosResult['stats'] = {};
  let stack: ChaosStack | undefined;
  let load: ChaosLoad | undefined;
  try {
    stack = await startChaosStack(settings);
    log(
      `system up (${settings.mode}): ingest ×2, tick-writer, universe-sync, sim ${stack.sim.stats().rate}/s`,
    );
    load = startChaosLoad(stack);
    const ctx: FaultContext = {
      stack,
      load,
      healthy: createWaitHealthy(stack, load),
    };
    await ctx.healthy();
    await sleep(settings.warmupMs);
    for (const fault of table)
      if (runsIn(fault, settings.mode))
        faults.push(await runFault(fault, ctx, log));
    await load.stop();
    log('settling: final reconcile, queues drained');
    const settled = await settle(ctx);
    await checkInvariants(ctx, faults, settled, checks);
    stats = await collectStats(ctx);
  } catch (err) {
    checks.push({
      name: 'suite ran to the end',
      ok: false,
      detail: String((err as Error).stack ?? err),
    });
  } finally {
    await load?.stop().catch(() => undefined);
    await stack?.close();
  }
  return {
    mode: settings.mode,
    startedAt: new Date(t0).toISOString(),
    durationMs: Date.now() - t0,
    faults,
    checks,
    rss: load?.rss.summary() ?? {},
    stats,
    ok: checks.length > 0 && checks.every(c => c.ok) && faults.every(f => f.ok),
  };
}
