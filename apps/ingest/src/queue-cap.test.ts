import { createQueueCap } from './queue-cap';

/** A cap over a settable count that records how often it was read. */
function capOver(max: number, recheckMs = 50) {
  const state = { pending: 0, reads: 0, failing: false };
  const cap = createQueueCap({
    max,
    recheckMs,
    count: async () => {
      state.reads++;
      if (state.failing) throw new Error('Connection is closed.');
      return state.pending;
    },
  });
  return { cap, state };
}

describe('queue cap', () => {
  it('reads the count once, then lets publishes through until its bound reaches the cap', async () => {
    const { cap, state } = capOver(4);
    expect(await cap.check(0)).toBe('room');
    expect(state.reads).toBe(1);
    for (let k = 0; k < 3; k++) {
      await cap.published(0);
      state.pending++;
      expect(await cap.check(0)).toBe('room');
    }
    expect(state.reads).toBe(1);
    // The 4th publish fills the bound: the count is re-read after it, not before the next one.
    state.pending++;
    await cap.published(0);
    expect(state.reads).toBe(2);
    expect(cap.pendingBound).toBe(4);
  });

  it('trusts completions it learns of at the re-read', async () => {
    const { cap, state } = capOver(2);
    await cap.check(0);
    await cap.published(0);
    await cap.published(0);
    // tick-writer finished both meanwhile: the re-read after the 2nd publish sees 0.
    expect(state.reads).toBe(2);
    expect(cap.pendingBound).toBe(0);
    expect(await cap.check(1)).toBe('room');
    expect(state.reads).toBe(2);
  });

  it('at the cap reads at most once per recheck period, then reports room when jobs completed', async () => {
    const { cap, state } = capOver(4, 50);
    state.pending = 4;
    expect(await cap.check(1000)).toBe('full');
    expect(state.reads).toBe(1);
    for (const now of [1001, 1020, 1049])
      expect(await cap.check(now)).toBe('still-full');
    expect(state.reads).toBe(1);
    expect(await cap.check(1050)).toBe('full');
    expect(state.reads).toBe(2);
    state.pending = 3;
    expect(await cap.check(1100)).toBe('room');
    expect(state.reads).toBe(3);
  });

  it('counts more than the cap (jobs from another replica) as full', async () => {
    const { cap, state } = capOver(4);
    state.pending = 9;
    expect(await cap.check(0)).toBe('full');
  });

  it('throws a failed read and reads again at the next check', async () => {
    const { cap, state } = capOver(4, 50);
    state.failing = true;
    await expect(cap.check(0)).rejects.toThrow('Connection is closed.');
    state.failing = false;
    expect(await cap.check(1)).toBe('room');
    expect(state.reads).toBe(2);
  });

  it('does not fail a publish whose re-read fails; the next check reads instead', async () => {
    const { cap, state } = capOver(1, 50);
    await cap.check(0);
    state.failing = true;
    await expect(cap.published(0)).resolves.toBeUndefined();
    state.failing = false;
    expect(await cap.check(1)).toBe('room');
    expect(state.reads).toBe(3);
  });
});
