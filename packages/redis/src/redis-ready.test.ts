import { EventEmitter } from 'node:events';
import { waitForRedisReady } from './redis-ready';

/** Just the status and the events `waitForRedisReady` reads (the integration test uses real clients). */
function fakeClient(status: string): EventEmitter & { status: string } {
  return Object.assign(new EventEmitter(), { status });
}

describe('waitForRedisReady', () => {
  afterEach(() => jest.useRealTimers());

  it('resolves true at once for a ready client', async () => {
    await expect(waitForRedisReady(fakeClient('ready'))).resolves.toBe(true);
  });

  it('resolves false at once for an ended client', async () => {
    await expect(waitForRedisReady(fakeClient('end'), 1000)).resolves.toBe(
      false,
    );
  });

  it('resolves true on the ready event and removes its listeners', async () => {
    const c = fakeClient('connecting');
    const p = waitForRedisReady(c, 60_000);
    c.emit('ready');
    await expect(p).resolves.toBe(true);
    expect(c.listenerCount('ready') + c.listenerCount('end')).toBe(0);
  });

  it('resolves false when the connection ends first', async () => {
    const c = fakeClient('reconnecting');
    const p = waitForRedisReady(c);
    c.emit('end');
    await expect(p).resolves.toBe(false);
    expect(c.listenerCount('ready') + c.listenerCount('end')).toBe(0);
  });

  it('resolves false after the timeout, and a later ready changes nothing', async () => {
    jest.useFakeTimers();
    const c = fakeClient('connecting');
    const p = waitForRedisReady(c, 5000);
    jest.advanceTimersByTime(4999);
    c.emit('noise');
    jest.advanceTimersByTime(1);
    await expect(p).resolves.toBe(false);
    expect(c.listenerCount('ready')).toBe(0);
  });
});
