/**
 * The fault-injection suite (issue 8): the whole system on this machine —
 * polygon-sim (in process, rate mode plus scripted oracle rounds), ingest ×2,
 * tick-writer, universe-sync (PostgreSQL through an in-process TCP proxy) —
 * under steady load and a stream of strategy edits, with the faults of
 * `CHAOS_FAULTS` injected one after another and invariants checked at the end
 * against oracles computed from what was sent and committed.
 *
 * Layout: `stack.ts` starts the system, `load.ts` runs the background,
 * `faults.ts` is the fault table (`fault.ts` its entry shape, `evidence.ts`
 * the helpers entries use), `invariants.ts` the end-of-run checks,
 * `run-chaos.ts` the runner, `report.ts` the Markdown report.
 */
export { runsIn, type Fault, type FaultContext } from './fault.js';
export { CHAOS_FAULTS } from './faults.js';
export { renderReport } from './report.js';
export type {
  ChaosMode,
  ChaosResult,
  CheckRecord,
  FaultRecord,
} from './result.js';
export { runChaos, type RunChaosOptions } from './run-chaos.js';
