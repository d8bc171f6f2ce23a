import { reconnectDelayMs, versionAtLeast } from './redis';

describe('redis helpers', () => {
  it('compares server versions against a floor', () => {
    expect(versionAtLeast('7.0.15', 6, 2)).toBe(true);
    expect(versionAtLeast('6.2.0', 6, 2)).toBe(true);
    expect(versionAtLeast('6.0.20', 6, 2)).toBe(false);
    expect(versionAtLeast('5.0.7', 6, 2)).toBe(false);
  });

  it('retries about every second at first, then backs off to at most 5 s (±25 %)', () => {
    for (let attempt = 1; attempt <= 6; attempt++) {
      const d = reconnectDelayMs(attempt);
      expect(d).toBeGreaterThanOrEqual(750);
      expect(d).toBeLessThanOrEqual(1250);
    }
    expect(reconnectDelayMs(8)).toBeGreaterThanOrEqual(0.75 * Math.exp(8));
    for (let attempt = 9; attempt < 40; attempt++) {
      const d = reconnectDelayMs(attempt);
      expect(d).toBeGreaterThanOrEqual(3750);
      expect(d).toBeLessThanOrEqual(6250);
    }
  });
});
