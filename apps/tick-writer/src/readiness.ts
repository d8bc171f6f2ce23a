import type { CheckResult } from '@tickpulse/service-kit';

/** The /readyz worker check: whether the `ticks` worker takes jobs. */
export function workerCheck(consuming: boolean): CheckResult {
  return { ok: consuming, detail: consuming ? 'consuming' : 'not consuming' };
}
