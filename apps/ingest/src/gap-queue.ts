import type { BackfillOutcome } from './backfill.js';

/** Why a backfill ran (log field). */
export type GapReason = 'resubscribe' | 'startup' | 'api' | 'data-loss';

/** One request to heal a gap. */
export interface GapRequest {
  /** Where healing starts (Unix ms): the gap start less the margin. */
  since: number;
  /** The gap start itself (Unix ms), before the margin. */
  raw: number;
  reason: GapReason;
  /** When the stream was back (or the call came), Unix ms. */
  gapEnd: number;
}

/**
 * The healer's queue: one backfill at a time, and gaps that end while one
 * runs merged into a single follow-up (the earliest start): its snapshot
 * is newer than all of them, so one pass heals them all.
 */
export interface GapQueue {
  /** A backfill runs now. */
  running: boolean;
  /** The merged follow-up, started when the running one ends. */
  next: GapRequest | undefined;
  /**
   * The earliest gap start (before the margin) not yet healed. The
   * watermark never moves past it: a process that dies before its
   * backfill finished leaves the next leader a watermark from which that
   * gap is still healed.
   */
  hold: number | undefined;
}

/** Nothing running, nothing waiting, nothing held. */
export const IDLE_GAP_QUEUE: GapQueue = {
  running: false,
  next: undefined,
  hold: undefined,
};

/**
 * A heal is requested.
 *
 * @param healing whether backfill can run at all: with it off nothing will
 *   heal the gap, and holding would only freeze the watermark.
 * @returns the new queue, and whether to start `req` now or wait for the
 *   follow-up (into which `req` was merged).
 */
export function requestHeal(
  q: GapQueue,
  req: GapRequest,
  healing: boolean,
): { queue: GapQueue; action: 'start' | 'wait' } {
  const hold = healing ? Math.min(q.hold ?? Infinity, req.raw) : q.hold;
  if (!q.running)
    return { queue: { ...q, running: true, hold }, action: 'start' };
  const next: GapRequest = q.next
    ? {
        // The first request's reason names the merged run.
        reason: q.next.reason,
        since: Math.min(q.next.since, req.since),
        raw: Math.min(q.next.raw, req.raw),
        gapEnd: Math.max(q.next.gapEnd, req.gapEnd),
      }
    : { ...req };
  return { queue: { ...q, next, hold }, action: 'wait' };
}

/** Whether a run healed its gap (undefined: it threw). */
export function gapHealed(outcome: BackfillOutcome | undefined): boolean {
  return outcome !== undefined && outcome !== 'failed' && outcome !== 'aborted';
}

/**
 * The running backfill ended.
 *
 * @param ranSince where it started healing: a follow-up after a failure
 *   starts there too, so the failed gap is not given up.
 * @param healed see `gapHealed`.
 * @returns the new queue, and the follow-up to start now, if any.
 */
export function finishHeal(
  q: GapQueue,
  ranSince: number,
  healed: boolean,
): { queue: GapQueue; start: GapRequest | undefined } {
  const n = q.next;
  if (!n) {
    const hold = healed ? undefined : q.hold;
    return {
      queue: { running: false, next: undefined, hold },
      start: undefined,
    };
  }
  // After a success only the follow-up's own gap is still unhealed.
  const hold = healed ? n.raw : q.hold;
  const start = healed ? n : { ...n, since: Math.min(n.since, ranSince) };
  return { queue: { running: true, next: undefined, hold }, start };
}
