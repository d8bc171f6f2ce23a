import {
  enqueueReconcile,
  enqueueUniverseSync,
  JOB_NAMES,
  RECONCILE_JOB_OPTIONS,
  STRATEGY_SYNC_JOB_OPTIONS,
  type JobOptions,
  type JobQueue,
} from './queues';

/** A queue that records what each producer adds. */
function recordingQueue() {
  const added: { name: string; opts?: JobOptions }[] = [];
  const queue: JobQueue = {
    add: async (name, _data, opts) => {
      added.push({ name, opts });
      return { id: String(added.length) };
    },
  };
  return { queue, added };
}

// Each job's options are defined once; every producer of the job uses them
// (universe-sync's reconcile scheduler too: reconcile-schedule.int.test.ts).
describe('job options, one definition per job', () => {
  it('a reconcile retries 5 times, exponential from 5 s, deduplicated', async () => {
    expect(RECONCILE_JOB_OPTIONS).toMatchObject({
      attempts: 5,
      backoff: { type: 'exponential', delay: 5000 },
    });
    const { queue, added } = recordingQueue();
    await enqueueReconcile(queue, 'test');
    expect(added).toEqual([
      {
        name: JOB_NAMES.reconcile,
        opts: {
          ...RECONCILE_JOB_OPTIONS,
          deduplication: { id: 'reconcile', keepLastIfActive: true },
        },
      },
    ]);
  });

  it('a strategy sync retries 8 times, exponential from 1 s, deduplicated per strategy', async () => {
    expect(STRATEGY_SYNC_JOB_OPTIONS).toMatchObject({
      attempts: 8,
      backoff: { type: 'exponential', delay: 1000 },
    });
    const { queue, added } = recordingQueue();
    await enqueueUniverseSync(queue, 7, 'test');
    expect(added).toEqual([
      {
        name: JOB_NAMES.syncStrategy,
        opts: {
          ...STRATEGY_SYNC_JOB_OPTIONS,
          deduplication: { id: 'strategy-7', keepLastIfActive: true },
        },
      },
    ]);
  });
});
