import { inDataWindow, parseDataWindow, type DataWindow } from './data-window';

const regular = (): DataWindow => {
  const r = parseDataWindow('09:30-16:00');
  if (!r.ok) throw new Error(r.reason);
  return r.window;
};

describe('data window', () => {
  it('is New York regular hours on weekdays, across daylight saving time', () => {
    const w = regular();
    // Tue 2026-12-08 (EST, UTC-5): 09:29 and 09:30 New York.
    expect(inDataWindow(w, Date.UTC(2026, 11, 8, 14, 29))).toBe(false);
    expect(inDataWindow(w, Date.UTC(2026, 11, 8, 14, 30))).toBe(true);
    expect(inDataWindow(w, Date.UTC(2026, 11, 8, 20, 59))).toBe(true);
    expect(inDataWindow(w, Date.UTC(2026, 11, 8, 21, 0))).toBe(false);
    // Wed 2026-07-15 (EDT, UTC-4): 09:30 New York is 13:30 UTC.
    expect(inDataWindow(w, Date.UTC(2026, 6, 15, 13, 30))).toBe(true);
    expect(inDataWindow(w, Date.UTC(2026, 6, 15, 13, 29))).toBe(false);
    // Sat 2026-12-12 at noon New York.
    expect(inDataWindow(w, Date.UTC(2026, 11, 12, 17, 0))).toBe(false);
  });

  it('accepts always and rejects malformed or empty ranges', () => {
    const always = parseDataWindow('always');
    expect(always.ok && inDataWindow(always.window, 0)).toBe(true);
    for (const bad of [
      '9:30-16:00',
      '16:00-09:30',
      '10:00-10:00',
      '24:00-24:00',
      'x',
    ])
      expect(parseDataWindow(bad).ok).toBe(false);
    expect(parseDataWindow('00:00-24:00').ok).toBe(true);
  });
});
