import { loadConfig } from './config';

describe('CLI config', () => {
  it('bounds STATUS_INTERVAL_S by the timer limit', () => {
    expect(loadConfig({ STATUS_INTERVAL_S: '2147483' }).STATUS_INTERVAL_S).toBe(
      2_147_483,
    );
    expect(() => loadConfig({ STATUS_INTERVAL_S: '2160000' })).toThrow(
      /STATUS_INTERVAL_S: must be at most 2147483 s/,
    );
  });
});
