import { collectQueueDepths, COUNTED_STATES } from './queue-depth';

function gauge() {
  const set = new Map<string, number>();
  return {
    values: set,
    set: (labels: { queue: string; state: string }, value: number) =>
      set.set(`${labels.queue}/${labels.state}`, value),
  };
}

describe('collectQueueDepths', () => {
  afterEach(() => jest.useRealTimers());

  it('sets every counted state of every queue, 0 for a state BullMQ left out', async () => {
    const g = gauge();
    await collectQueueDepths(
      [
        { name: 'a', getJobCounts: async () => ({ wait: 3, failed: 1 }) },
        { name: 'b', getJobCounts: async () => ({ active: 2 }) },
      ],
      g,
      () => {
        throw new Error('no error expected');
      },
    );
    expect(g.values.size).toBe(2 * COUNTED_STATES.length);
    expect(g.values.get('a/wait')).toBe(3);
    expect(g.values.get('a/failed')).toBe(1);
    expect(g.values.get('a/active')).toBe(0);
    expect(g.values.get('b/active')).toBe(2);
  });

  it('reports a queue that does not answer by the deadline and still sets the others', async () => {
    jest.useFakeTimers();
    const g = gauge();
    const errors: string[] = [];
    const done = collectQueueDepths(
      [
        { name: 'stuck', getJobCounts: () => new Promise(() => undefined) },
        { name: 'broken', getJobCounts: () => Promise.reject(new Error('x')) },
        { name: 'ok', getJobCounts: async () => ({ wait: 1 }) },
      ],
      g,
      (_err, queue) => errors.push(queue),
      1000,
    );
    await jest.advanceTimersByTimeAsync(1000);
    await done;
    expect(errors.sort()).toEqual(['broken', 'stuck']);
    expect(g.values.get('ok/wait')).toBe(1);
    expect([...g.values.keys()].some(k => !k.startsWith('ok/'))).toBe(false);
  });
});
