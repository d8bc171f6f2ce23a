import { Writable } from 'node:stream';
import { createLogger, createShutdown, sleep } from '../src';

const silent = createLogger({
  service: 'test',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

describe('shutdown', () => {
  it('runs steps in order and exits 0 when all succeed', async () => {
    const order: string[] = [];
    const s = createShutdown({
      logger: silent,
      steps: [
        { name: 'intake', run: () => void order.push('intake') },
        {
          name: 'drain',
          run: async () => {
            await sleep(5);
            order.push('drain');
          },
        },
        { name: 'close', run: () => void order.push('close') },
      ],
    });
    expect(await s.run('SIGTERM')).toBe(0);
    expect(order).toEqual(['intake', 'drain', 'close']);
  });

  it('keeps going after a failing step and exits 1', async () => {
    const order: string[] = [];
    const s = createShutdown({
      logger: silent,
      steps: [
        {
          name: 'boom',
          run: () => {
            throw new Error('boom');
          },
        },
        { name: 'after', run: () => void order.push('after') },
      ],
    });
    expect(await s.run('SIGTERM')).toBe(1);
    expect(order).toEqual(['after']);
  });

  it('abandons a step that overruns the deadline and still runs the rest', async () => {
    const order: string[] = [];
    const s = createShutdown({
      logger: silent,
      deadlineMs: 50,
      steps: [
        { name: 'stuck', run: () => new Promise(() => undefined) },
        { name: 'after', run: () => void order.push('after') },
      ],
    });
    expect(await s.run('SIGTERM')).toBe(1);
    expect(order).toEqual(['after']);
  });

  it('runs once however often it is asked', async () => {
    let runs = 0;
    const s = createShutdown({
      logger: silent,
      steps: [{ name: 'x', run: () => void runs++ }],
    });
    const [a, b] = await Promise.all([s.run('SIGTERM'), s.run('SIGINT')]);
    expect([a, b, runs]).toEqual([0, 0, 1]);
  });
});
