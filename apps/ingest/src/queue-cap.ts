import type { Queue } from 'bullmq';

/**
 * The BullMQ states whose jobs still carry their payload and still wait for a
 * worker: `wait` (BullMQ 6 keeps a paused queue's jobs there too),
 * `prioritized`, `active`, and `delayed` (a failed attempt waiting for its
 * retry). Completed jobs are removed at once, failed ones are bounded
 * separately (TICK_BATCH_JOB_OPTIONS).
 */
export const PENDING_STATES = [
  'wait',
  'prioritized',
  'active',
  'delayed',
] as const;

/**
 * Counts the queue's pending jobs: one EVALSHA of BullMQ's `getCounts`
 * script, which reads the list lengths and set cardinalities of the states
 * above (O(1) each) in one round trip.
 */
export function countPendingJobs(queue: Queue): Promise<number> {
  return queue.getJobCountByTypes(...PENDING_STATES);
}

/**
 * Keeps the `ticks` queue at most `max` pending jobs without reading Redis
 * before every publish. It keeps an upper bound of the pending count: the
 * last count read plus the jobs published since (completions only lower the
 * real number). While the bound is below `max` a publish goes ahead at once;
 * only when it reaches `max` is the count read again, and while the queue
 * stays full at most once per `recheckMs`, so a held-back ingest costs Redis
 * one cheap read per flush interval however fast trades arrive.
 */
export interface QueueCap {
  /**
   * Whether one more job fits: `room`; `full` after a fresh read found the
   * queue at its cap; `still-full` when the last read did and the next one is
   * not due yet (no I/O). Reads the count only when the bound is at the cap.
   */
  check(now: number): Promise<'room' | 'full' | 'still-full'>;
  /**
   * Records a published job; when that fills the bound, re-reads the count
   * right away (after the publish, so no batch waits for it).
   */
  published(now: number): Promise<void>;
  /** The current upper bound of pending jobs (null before the first read). */
  readonly pendingBound: number | null;
}

/**
 * Creates the cap; `count` is `countPendingJobs` bound to the queue, with a
 * deadline (a hung read must not stall publishing forever).
 */
export function createQueueCap(opts: {
  max: number;
  recheckMs: number;
  count: () => Promise<number>;
}): QueueCap {
  let bound: number | null = null;
  let nextReadAt = 0;

  const read = async (now: number) => {
    nextReadAt = now + opts.recheckMs;
    bound = await opts.count();
  };

  return {
    async check(now) {
      if (bound !== null && bound < opts.max) return 'room';
      if (now < nextReadAt) return 'still-full';
      try {
        await read(now);
      } catch (err) {
        // Unknown again: the next flush (after the caller's back-off) re-reads.
        nextReadAt = 0;
        throw err;
      }
      return bound! < opts.max ? 'room' : 'full';
    },
    async published(now) {
      bound = (bound ?? 0) + 1;
      if (bound < opts.max) return;
      // The batch is already out; a failed re-read only means the next flush
      // reads instead.
      await read(now).catch(() => {
        nextReadAt = 0;
      });
    },
    get pendingBound() {
      return bound;
    },
  };
}
