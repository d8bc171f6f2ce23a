/** What one chaos run produces; `report.ts` renders it, the tests assert on it. */

/** `full`: `npm run test:chaos`; `short`: the form that runs inside `npm test`. */
export type ChaosMode = 'full' | 'short';

/** One injected fault and what was observed. */
export interface FaultRecord {
  name: string;
  what: string;
  /** ms from the start of the injection to the end of the injection. */
  injectMs: number;
  /** ms from the end of the injection until the system was healthy again. */
  recoveryMs: number | null;
  /** Metric deltas / log lines an operator would see. */
  evidence: string[];
  ok: boolean;
  error?: string;
}

/** One end-of-run invariant. */
export interface CheckRecord {
  name: string;
  ok: boolean;
  detail: string;
}

/** The outcome of one chaos run. */
export interface ChaosResult {
  mode: ChaosMode;
  startedAt: string;
  durationMs: number;
  faults: FaultRecord[];
  checks: CheckRecord[];
  rss: Record<string, { maxMiB: number; lastMiB: number; samples: number }>;
  stats: Record<string, number | string>;
  ok: boolean;
}
