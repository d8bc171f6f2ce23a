import { CHECK_TIMEOUT_MS, withDeadline } from '@tickpulse/service-kit';
import type { Queue } from 'bullmq';

/** Queue states exported as depth gauges (one cheap getJobCounts script per queue). */
export const COUNTED_STATES = [
  'wait',
  'active',
  'delayed',
  'failed',
  'prioritized',
] as const;

/**
 * Sets the depth gauge of every queue. The worker connection waits out a
 * Redis outage; a scrape must not, so the queues are read at once, each
 * under one short deadline, and a queue that does not answer is reported
 * to `onError` and left out instead of failing the scrape.
 */
export async function collectQueueDepths(
  queues: readonly Pick<Queue, 'name' | 'getJobCounts'>[],
  gauge: { set(labels: { queue: string; state: string }, n: number): void },
  onError: (err: unknown, queue: string) => void,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<void> {
  await Promise.all(
    queues.map(async queue => {
      try {
        const counts = await withDeadline(
          queue.getJobCounts(...COUNTED_STATES),
          timeoutMs,
          'getJobCounts',
        );
        for (const state of COUNTED_STATES) {
          gauge.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      } catch (err) {
        onError(err, queue.name);
      }
    }),
  );
}
