import { afterSession, sessionHealthy } from './reconnect-policy';

const T = {
  reconnectMinMs: 1000,
  reconnectMaxMs: 30_000,
  maxConnectionsCooldownMs: 60_000,
};
/** No jitter: the backoff's base delay. */
const mid = () => 0.5;

describe('reconnect policy', () => {
  it('stops for good after a fatal end', () => {
    expect(afterSession(3, { outcome: 'fatal', healthy: true }, T)).toEqual({
      kind: 'fatal',
    });
  });

  it('backs off exponentially, one step per unhealthy connection', () => {
    let attempt = 0;
    const delays: number[] = [];
    const steps: number[] = [];
    for (let i = 0; i < 4; i++) {
      const d = afterSession(
        attempt,
        { outcome: 'read_timeout', healthy: false },
        T,
        mid,
      );
      if (d.kind !== 'retry') throw new Error('expected a retry');
      expect(d.state).toBe('backoff');
      delays.push(d.delayMs);
      steps.push(d.step);
      attempt = d.attempt;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000]);
    expect(steps).toEqual([0, 1, 2, 3]);
    expect(attempt).toBe(4);
  });

  it('starts the backoff over after a healthy connection', () => {
    const d = afterSession(5, { outcome: 'closed', healthy: true }, T, mid);
    expect(d).toEqual({
      kind: 'retry',
      state: 'backoff',
      delayMs: 1000,
      step: 0,
      attempt: 1,
    });
  });

  it('caps the backoff and jitters it by ±50 %', () => {
    const d = (r: number) =>
      afterSession(30, { outcome: 'closed', healthy: false }, T, () => r);
    expect(d(0.5)).toMatchObject({ delayMs: 30_000 });
    expect(d(0)).toMatchObject({ delayMs: 15_000 });
    expect(d(0.999)).toMatchObject({ delayMs: 44_970 });
  });

  it('cools down after max_connections and keeps the backoff step', () => {
    expect(
      afterSession(3, { outcome: 'max_connections', healthy: false }, T, mid),
    ).toEqual({
      kind: 'retry',
      state: 'cooldown',
      delayMs: 60_000,
      step: 3,
      attempt: 3,
    });
    expect(
      afterSession(3, { outcome: 'max_connections', healthy: true }, T, mid),
    ).toMatchObject({ state: 'cooldown', step: 0, attempt: 0 });
  });

  it('calls a connection healthy only when authenticated long enough', () => {
    expect(sessionHealthy(true, 1000, 31_000, 30_000)).toBe(true);
    expect(sessionHealthy(true, 1000, 30_999, 30_000)).toBe(false);
    expect(sessionHealthy(false, 1000, 99_000, 30_000)).toBe(false);
  });
});
