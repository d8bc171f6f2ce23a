import { Writable } from 'node:stream';
import { createCoalescer } from '@tickpulse/polygon';
import { createLogger } from '@tickpulse/shared';
import type { Queue } from 'bullmq';
import { Registry } from 'prom-client';
import { createIngestMetrics } from './metrics';
import { createTickPublisher } from './tick-publisher';

const silent = createLogger({
  service: 'test',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

/** A queue whose `add` fails until told otherwise, counting the attempts. */
function flakyQueue() {
  const state = { failing: true, attempts: 0, added: [] as unknown[] };
  const queue = {
    add: async (_name: string, data: unknown) => {
      state.attempts++;
      if (state.failing) throw new Error("Stream isn't writeable");
      state.added.push(data);
      return { id: String(state.added.length) };
    },
  } as unknown as Queue;
  return { queue, state };
}

describe('tick publisher', () => {
  it('backs off after a failed publish instead of retrying on every flush', async () => {
    const coalescer = createCoalescer();
    const { queue, state } = flakyQueue();
    const publisher = createTickPublisher({
      coalescer,
      queue,
      // A long interval makes the first back-off (≥ 5 s) outlast the loop below.
      intervalMs: 10_000,
      timeoutMs: 1000,
      logger: silent,
      metrics: createIngestMetrics(new Registry(), () => coalescer.size),
    });
    coalescer.add('AAPL', 1_752_586_200_412);
    expect(await publisher.flush()).toBe(false);
    for (let i = 0; i < 100; i++) {
      coalescer.add('MSFT', 1_752_586_200_500 + i);
      expect(await publisher.flush()).toBe(false);
    }
    expect(state.attempts).toBe(1);
    expect(coalescer.size).toBe(2);

    state.failing = false;
    expect(await publisher.drain(5000)).toBe(true);
    expect(state.added).toEqual([
      { v: 1, ticks: { AAPL: 1_752_586_200_412, MSFT: 1_752_586_200_599 } },
    ]);
  });
});
