import {
  finishHeal,
  gapHealed,
  IDLE_GAP_QUEUE,
  requestHeal,
  type GapQueue,
  type GapRequest,
} from './gap-queue';

const req = (since: number, extra: Partial<GapRequest> = {}): GapRequest => ({
  since,
  raw: since + 100,
  reason: 'resubscribe',
  gapEnd: since + 1000,
  ...extra,
});

describe('gap queue', () => {
  it('starts the first request at once and holds its raw start', () => {
    const { queue, action } = requestHeal(IDLE_GAP_QUEUE, req(5000), true);
    expect(action).toBe('start');
    expect(queue).toEqual({ running: true, next: undefined, hold: 5100 });
  });

  it('holds nothing when backfill cannot run', () => {
    const { queue, action } = requestHeal(IDLE_GAP_QUEUE, req(5000), false);
    expect(action).toBe('start');
    expect(queue.hold).toBeUndefined();
  });

  it('merges requests during a run into one follow-up: earliest start, latest end, first reason', () => {
    let q: GapQueue = requestHeal(IDLE_GAP_QUEUE, req(5000), true).queue;
    const a = requestHeal(q, req(7000, { reason: 'api' }), true);
    expect(a.action).toBe('wait');
    q = a.queue;
    const b = requestHeal(
      q,
      req(6000, { reason: 'data-loss', gapEnd: 99_000 }),
      true,
    );
    expect(b.action).toBe('wait');
    expect(b.queue.next).toEqual({
      since: 6000,
      raw: 6100,
      reason: 'api',
      gapEnd: 99_000,
    });
    // The hold is the earliest unhealed start of all.
    expect(b.queue.hold).toBe(5100);
  });

  it('after a healed run with nothing waiting, releases the hold and idles', () => {
    const q = requestHeal(IDLE_GAP_QUEUE, req(5000), true).queue;
    expect(finishHeal(q, 5000, true)).toEqual({
      queue: { running: false, next: undefined, hold: undefined },
      start: undefined,
    });
  });

  it('after a failed run with nothing waiting, keeps the hold', () => {
    const q = requestHeal(IDLE_GAP_QUEUE, req(5000), true).queue;
    const { queue, start } = finishHeal(q, 5000, false);
    expect(start).toBeUndefined();
    expect(queue).toEqual({ running: false, next: undefined, hold: 5100 });
  });

  it('after a healed run, starts the follow-up as is and holds only its gap', () => {
    let q = requestHeal(IDLE_GAP_QUEUE, req(5000), true).queue;
    q = requestHeal(q, req(8000), true).queue;
    const { queue, start } = finishHeal(q, 5000, true);
    expect(start).toEqual(req(8000));
    expect(queue).toEqual({ running: true, next: undefined, hold: 8100 });
  });

  it('after a failed run, the follow-up starts from the failed gap too', () => {
    let q = requestHeal(IDLE_GAP_QUEUE, req(5000), true).queue;
    q = requestHeal(q, req(8000), true).queue;
    const { queue, start } = finishHeal(q, 5000, false);
    expect(start).toEqual({ ...req(8000), since: 5000 });
    expect(queue).toEqual({ running: true, next: undefined, hold: 5100 });
  });

  it('counts only a run that healed something as healed', () => {
    expect(gapHealed('healed')).toBe(true);
    expect(gapHealed('partial')).toBe(true);
    expect(gapHealed('unauthorized')).toBe(true);
    expect(gapHealed('failed')).toBe(false);
    expect(gapHealed('aborted')).toBe(false);
    expect(gapHealed(undefined)).toBe(false);
  });
});
