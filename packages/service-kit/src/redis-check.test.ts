import { CHECK_TIMEOUT_MS } from './http';
import { redisCheck } from './redis-check';

describe('redisCheck', () => {
  afterEach(() => jest.useRealTimers());

  it('is ok when Redis answers PONG', async () => {
    expect(await redisCheck({ ping: async () => 'PONG' })).toEqual({
      ok: true,
      detail: 'reachable',
    });
  });

  it('is not ok, with the reason, when PING fails', async () => {
    const ping = () => Promise.reject(new Error('connect ECONNREFUSED'));
    expect(await redisCheck({ ping })).toEqual({
      ok: false,
      detail: 'unreachable',
      error: 'connect ECONNREFUSED',
    });
  });

  it('is not ok when PING answers anything but PONG', async () => {
    expect(await redisCheck({ ping: async () => 'LOADING' })).toEqual({
      ok: false,
      detail: 'unreachable',
      error: 'PING answered "LOADING"',
    });
  });

  it('gives up on a server that never answers after CHECK_TIMEOUT_MS', async () => {
    jest.useFakeTimers();
    const result = redisCheck({ ping: () => new Promise<string>(() => {}) });
    jest.advanceTimersByTime(CHECK_TIMEOUT_MS);
    expect(await result).toEqual({
      ok: false,
      detail: 'unreachable',
      error: `redis ping did not finish within ${CHECK_TIMEOUT_MS} ms`,
    });
  });
});
