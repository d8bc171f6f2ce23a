import { retentionCutoffMs } from './retention';

describe('retentionCutoffMs', () => {
  it('is exactly N days before now', () => {
    const now = Date.UTC(2025, 6, 15, 12, 0, 0);
    expect(retentionCutoffMs(now, 90)).toBe(Date.UTC(2025, 3, 16, 12, 0, 0));
    expect(retentionCutoffMs(now, 1)).toBe(now - 86_400_000);
  });
});
