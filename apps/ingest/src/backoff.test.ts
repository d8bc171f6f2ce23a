import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('doubles from the minimum up to the cap, with ±50 % jitter', () => {
    expect(backoffDelay(0, 1000, 30_000, () => 0.5)).toBe(1000);
    expect(backoffDelay(3, 1000, 30_000, () => 0.5)).toBe(8000);
    expect(backoffDelay(20, 1000, 30_000, () => 0.5)).toBe(30_000);
    expect(backoffDelay(2, 1000, 30_000, () => 0)).toBe(2000);
    expect(backoffDelay(2, 1000, 30_000, () => 0.999)).toBeLessThan(6000);
  });
});
