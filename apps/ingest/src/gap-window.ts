import type { BackfillOutcome } from './backfill.js';
import type { GapReason } from './gap-queue.js';

/** What part of a gap one backfill heals. */
export interface HealWindow {
  /** Where healing starts (ms): the requested start, or the clamp. */
  fromMs: number;
  /** Gap length (ms): from its start to when the stream was back (or the call). */
  gapMs: number;
  /** The gap was longer than `maxGapMs`: only its last `maxGapMs` are healed. */
  truncated: boolean;
}

/**
 * The window a backfill starting at `startedAt` heals: a gap older than
 * `maxGapMs` is cut to its last `maxGapMs` (all Unix ms).
 */
export function healWindow(
  since: number,
  gapEnd: number,
  startedAt: number,
  maxGapMs: number,
): HealWindow {
  const floor = startedAt - maxGapMs;
  return {
    fromMs: Math.max(since, floor),
    gapMs: Math.max(0, gapEnd - since),
    truncated: since < floor,
  };
}

/**
 * Where the gap before a new subscription began: the newer of this
 * process's last read and the stored watermark, never after the gap's end
 * nor after a held, unhealed gap start.
 *
 * @param inProcess newest trade time this process read (-1: none yet).
 * @returns the gap start and why it is healed, or undefined when nothing
 *   was ever read (no watermark either): there is nothing to heal from.
 */
export function gapStart(
  inProcess: number,
  stored: number | undefined,
  gapEnd: number,
  hold: number | undefined,
): { from: number; reason: GapReason } | undefined {
  let from = Math.min(Math.max(inProcess, stored ?? -1), gapEnd);
  if (hold !== undefined) from = Math.min(from, hold);
  if (from < 0) return undefined;
  return { from, reason: inProcess < 0 ? 'startup' : 'resubscribe' };
}

/** A stored watermark (Redis GET reply) as Unix ms, or undefined when absent or not one. */
export function parseWatermark(v: string | null): number | undefined {
  const ms = v === null ? NaN : Number(v);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}

/** The newest time of a published batch (-1 when empty). */
export function newestOf(batch: ReadonlyMap<string, number>): number {
  let max = -1;
  for (const ms of batch.values()) if (ms > max) max = ms;
  return max;
}

/**
 * The watermark to write after a batch was published, or undefined when
 * nothing should be written: it never runs ahead of the local clock nor
 * past a held gap start, and never goes back behind what was written.
 *
 * @param w.busy a gap's start is being read (a write could cover the new
 *   stream before its hold is in place), or a write is still in flight.
 */
export function watermarkToWrite(w: {
  newest: number;
  now: number;
  hold: number | undefined;
  written: number;
  busy: boolean;
}): number | undefined {
  if (w.busy) return undefined;
  const mark = Math.min(w.newest, w.now, w.hold ?? Infinity);
  return mark <= w.written ? undefined : mark;
}

/** The log level of a gap report: expected endings are info. */
export function reportLevel(outcome: BackfillOutcome): 'info' | 'warn' {
  return outcome === 'healed' || outcome === 'aborted' ? 'info' : 'warn';
}
