import { loadConfig } from './config';

describe('CLI config', () => {
  it('bounds STATUS_INTERVAL_S by the timer limit', () => {
    expect(loadConfig({ STATUS_INTERVAL_S: '2147483' }).STATUS_INTERVAL_S).toBe(
      2_147_483,
    );
    expect(() => loadConfig({ STATUS_INTERVAL_S: '2160000' })).toThrow(
      /STATUS_INTERVAL_S: must be at most 2147483647 ms/,
    );
  });

  it('reads STATUS_INTERVAL_S as seconds, or as a duration with a unit', () => {
    expect(loadConfig({}).STATUS_INTERVAL_S).toBe(5);
    expect(loadConfig({ STATUS_INTERVAL_S: '2' }).STATUS_INTERVAL_S).toBe(2);
    expect(loadConfig({ STATUS_INTERVAL_S: '1m' }).STATUS_INTERVAL_S).toBe(60);
    expect(loadConfig({ STATUS_INTERVAL_S: '500ms' }).STATUS_INTERVAL_S).toBe(
      0.5,
    );
    expect(() => loadConfig({ STATUS_INTERVAL_S: 'often' })).toThrow(
      /STATUS_INTERVAL_S: must be a duration like 250ms, 10s, 15m, 1h or 2d, or a whole number of seconds/,
    );
  });
});
