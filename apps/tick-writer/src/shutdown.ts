import { sleep } from '@tickpulse/service-kit';

/** Anything shutdown closes: a BullMQ worker or queue. */
export interface Closable {
  close(): Promise<unknown>;
}

/** What a started tick-writer holds, in the order it was taken. */
export interface Held {
  /** Stops the timers (data-loss watch, counter summary). */
  timers: (() => void)[];
  workers: Closable[];
  queues: Closable[];
}

/**
 * Closes the workers and reports whether they finished within `timeoutMs`.
 * `worker.close()` has no timeout of its own: it waits for the jobs in hand.
 */
export async function drainWithin(
  workers: readonly Closable[],
  timeoutMs: number,
): Promise<boolean> {
  return Promise.race([
    Promise.all(workers.map(w => w.close())).then(() => true),
    sleep(timeoutMs).then(() => false),
  ]);
}

/**
 * Shutdown order: timers first (newest first, so nothing schedules work on
 * a closing worker), then the workers drain, then the queues close, also
 * after a drain that timed out, since the unfinished jobs are re-processed
 * by another worker once their lock expires.
 *
 * @throws Error when the drain timed out, after the queues are closed.
 */
export async function stopInOrder(
  held: Held,
  drainTimeoutMs: number,
): Promise<void> {
  for (const stop of [...held.timers].reverse()) stop();
  const drained = await drainWithin(held.workers, drainTimeoutMs);
  await Promise.allSettled(held.queues.map(q => q.close()));
  if (!drained) {
    throw new Error(
      `ticks batches still in hand after ${drainTimeoutMs} ms; they will be re-processed after their lock expires`,
    );
  }
}
