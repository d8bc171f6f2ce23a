import { drainWithin, stopInOrder, type Closable } from './shutdown';

function closable(
  name: string,
  order: string[],
  settles = true,
): Closable & { closed: boolean } {
  const c = {
    closed: false,
    close: () => {
      order.push(name);
      c.closed = true;
      return settles ? Promise.resolve() : new Promise<void>(() => undefined);
    },
  };
  return c;
}

describe('drainWithin', () => {
  afterEach(() => jest.useRealTimers());

  it('is true when every worker closes in time', async () => {
    await expect(drainWithin([closable('w', [])], 1000)).resolves.toBe(true);
  });

  it('is false when a worker is still busy at the timeout', async () => {
    jest.useFakeTimers();
    const order: string[] = [];
    let drained: boolean | undefined;
    void drainWithin(
      [closable('fast', order), closable('busy', order, false)],
      1000,
    ).then(d => (drained = d));
    await jest.advanceTimersByTimeAsync(999);
    expect(drained).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(drained).toBe(false);
  });
});

describe('stopInOrder', () => {
  afterEach(() => jest.useRealTimers());

  it('stops the timers newest first, then drains the workers, then closes the queues', async () => {
    const order: string[] = [];
    await stopInOrder(
      {
        timers: [() => order.push('data-loss'), () => order.push('summary')],
        workers: [closable('ticks worker', order)],
        queues: [closable('ticks queue', order)],
      },
      1000,
    );
    expect(order).toEqual([
      'summary',
      'data-loss',
      'ticks worker',
      'ticks queue',
    ]);
  });

  it('closes the queues after a drain that timed out, then rejects', async () => {
    jest.useFakeTimers();
    const order: string[] = [];
    const queue = closable('queue', order);
    const stopped = stopInOrder(
      {
        timers: [],
        workers: [closable('busy', order, false)],
        queues: [queue],
      },
      2500,
    );
    const outcome = expect(stopped).rejects.toThrow(/after 2500 ms/);
    await jest.advanceTimersByTimeAsync(2500);
    await outcome;
    expect(queue.closed).toBe(true);
    expect(order).toEqual(['busy', 'queue']);
  });
});
