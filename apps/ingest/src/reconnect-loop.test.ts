import { Writable } from 'node:stream';
import { createLogger } from '@tickpulse/service-kit';
import type { ConnectionState } from './metrics';
import { createReconnectLoop, type SessionResult } from './reconnect-loop';

const silent = createLogger({
  service: 'test',
  destination: new Writable({ write: (_c, _e, cb) => cb() }),
});

const T = {
  reconnectMinMs: 1000,
  reconnectMaxMs: 30_000,
  maxConnectionsCooldownMs: 60_000,
};

/**
 * A loop over scripted sessions: each resolves when the test ends it, and
 * every state change is recorded with the fake clock's time.
 */
function setup() {
  const states: Array<[number, ConnectionState]> = [];
  const sessions: Array<(r: SessionResult) => void> = [];
  const opened: number[] = [];
  const fatal: Error[] = [];
  let reconnects = 0;
  let closed = 0;
  const loop = createReconnectLoop({
    url: 'wss://example.test/stocks',
    session: () =>
      new Promise(resolve => {
        opened.push(Date.now());
        sessions.push(resolve);
      }),
    closeCurrent: () => {
      closed++;
      sessions.at(-1)?.({ outcome: 'stopped', healthy: false });
    },
    setState: s => states.push([Date.now(), s]),
    timings: T,
    log: silent,
    reconnects: { inc: () => reconnects++ },
    onFatal: err => fatal.push(err),
    random: () => 0.5,
  });
  const end = async (r: SessionResult) => {
    sessions.at(-1)!(r);
    await jest.advanceTimersByTimeAsync(0);
  };
  return {
    loop,
    states,
    opened,
    fatal,
    end,
    counts: () => ({ reconnects, closed }),
  };
}

describe('reconnect loop', () => {
  const T0 = 1_752_586_200_000;
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('waits the backoff between connections and the cooldown after max_connections', async () => {
    const t = setup();
    t.loop.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(t.opened).toEqual([T0]);

    await t.end({ outcome: 'read_timeout', healthy: false });
    expect(t.states.at(-1)).toEqual([T0, 'backoff']);
    await jest.advanceTimersByTimeAsync(999);
    expect(t.opened).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(t.opened).toEqual([T0, T0 + 1000]);

    await t.end({ outcome: 'closed', healthy: false });
    await jest.advanceTimersByTimeAsync(2000);
    expect(t.opened.at(-1)).toBe(T0 + 3000);

    await t.end({ outcome: 'max_connections', healthy: false });
    expect(t.states.at(-1)).toEqual([T0 + 3000, 'cooldown']);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.opened.at(-1)).toBe(T0 + 63_000);

    // The cooldown kept the backoff step: 4 s now, then a healthy
    // connection starts it over at 1 s.
    await t.end({ outcome: 'closed', healthy: false });
    await jest.advanceTimersByTimeAsync(4000);
    expect(t.opened.at(-1)).toBe(T0 + 67_000);
    await t.end({ outcome: 'closed', healthy: true });
    await jest.advanceTimersByTimeAsync(1000);
    expect(t.opened.at(-1)).toBe(T0 + 68_000);
    expect(t.counts().reconnects).toBe(5);
  });

  it('stops for good on a fatal end and reports its error once', async () => {
    const t = setup();
    t.loop.start();
    await jest.advanceTimersByTimeAsync(0);
    const err = new Error('auth failed');
    await t.end({ outcome: 'fatal', healthy: false, error: err });
    expect(t.fatal).toEqual([err]);
    expect(t.states.at(-1)?.[1]).toBe('stopped');
    await jest.advanceTimersByTimeAsync(120_000);
    expect(t.opened).toHaveLength(1);
  });

  it('gives a fatal end without an error one of its own', async () => {
    const t = setup();
    t.loop.start();
    await jest.advanceTimersByTimeAsync(0);
    await t.end({ outcome: 'fatal', healthy: false });
    expect(t.fatal.map(e => e.message)).toEqual(['fatal Polygon error']);
  });

  it('stop cuts a pause short and connects no more', async () => {
    const t = setup();
    t.loop.start();
    t.loop.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(t.opened).toHaveLength(1);
    await t.end({ outcome: 'closed', healthy: false });
    await t.loop.stop();
    expect(t.states.at(-1)?.[1]).toBe('stopped');
    await jest.advanceTimersByTimeAsync(120_000);
    expect(t.opened).toHaveLength(1);
  });

  it('stop closes the open connection and waits for it', async () => {
    const t = setup();
    t.loop.start();
    await jest.advanceTimersByTimeAsync(0);
    await t.loop.stop();
    expect(t.counts().closed).toBe(1);
    expect(t.states.map(s => s[1])).toEqual(['stopped']);
    expect(t.opened).toHaveLength(1);
  });
});
