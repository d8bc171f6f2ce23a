import { logEvery } from './log-every';

describe('logEvery', () => {
  it('lets the first call through, then one per period, counting the held-back calls', () => {
    let t = 1_000_000;
    const gate = logEvery(10_000, () => t);
    const lines: number[] = [];
    const call = () => gate(suppressed => lines.push(suppressed));

    expect(call()).toBe(true);
    t += 1;
    expect(call()).toBe(false);
    t += 9_998;
    expect(call()).toBe(false);
    t += 1; // exactly one period after the first line
    expect(call()).toBe(true);
    expect(call()).toBe(false);
    t += 10_000;
    expect(call()).toBe(true);
    expect(lines).toEqual([0, 2, 1]);
  });

  it('passes at clock value 0 (the first call is never measured against a start time)', () => {
    const gate = logEvery(10_000, () => 0);
    const emit = jest.fn();
    expect(gate(emit)).toBe(true);
    expect(gate(emit)).toBe(false);
    expect(emit).toHaveBeenCalledTimes(1);
  });

  it('keeps separate gates independent', () => {
    const t = 5;
    const a = logEvery(1000, () => t);
    const b = logEvery(1000, () => t);
    expect(a(() => undefined)).toBe(true);
    expect(b(() => undefined)).toBe(true);
    expect(a(() => undefined)).toBe(false);
  });

  it('measures a call at the time it is given instead of the clock', () => {
    const gate = logEvery(1000, () => {
      throw new Error('the clock is not read when the time is given');
    });
    expect(gate(() => undefined, 50_000)).toBe(true);
    expect(gate(() => undefined, 50_999)).toBe(false);
    expect(gate(() => undefined, 51_000)).toBe(true);
  });
});
