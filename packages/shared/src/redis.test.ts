import { reconnectDelayMs, versionAtLeast } from './redis';

describe('redis helpers', () => {
  it('compares server versions against a floor', () => {
    expect(versionAtLeast('7.0.15', 6, 2)).toBe(true);
    expect(versionAtLeast('6.2.0', 6, 2)).toBe(true);
    expect(versionAtLeast('6.0.20', 6, 2)).toBe(false);
    expect(versionAtLeast('5.0.7', 6, 2)).toBe(false);
  });

  it('backs off between 0.75 s and 25 s', () => {
    for (let attempt = 1; attempt < 30; attempt++) {
      const d = reconnectDelayMs(attempt);
      expect(d).toBeGreaterThanOrEqual(750);
      expect(d).toBeLessThanOrEqual(25_000);
    }
  });
});
