import type { JobsOptions, Queue } from 'bullmq';
import {
  DEFAULT_JOB_OPTIONS,
  TICK_BATCH_JOB_OPTIONS,
  type JobOptions,
  type JobQueue,
} from './queues';

// The contracts describe BullMQ's queue and job options structurally so they
// need no BullMQ at run time; these assignments stop compiling (`npm run
// typecheck`) the day BullMQ's types and ours part.
const asBullmq = (opts: JobOptions): JobsOptions => opts;
const asJobQueue = (queue: Queue): JobQueue => queue;

describe('the contracts against BullMQ', () => {
  it('declares job options BullMQ accepts, unchanged', () => {
    expect(asBullmq(DEFAULT_JOB_OPTIONS)).toBe(DEFAULT_JOB_OPTIONS);
    expect(asBullmq(TICK_BATCH_JOB_OPTIONS)).toBe(TICK_BATCH_JOB_OPTIONS);
  });

  it('takes a BullMQ queue wherever it takes a JobQueue', () => {
    const queue = { add: jest.fn() } as unknown as Queue;
    expect(asJobQueue(queue)).toBe(queue);
  });
});
