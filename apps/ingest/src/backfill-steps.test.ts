import {
  firstTradesPage,
  lookupFailure,
  lookupsOutcome,
  MAX_PAGES_PER_LOOKUP,
  pageRefusal,
  runStopper,
} from './backfill-steps';
import {
  RestAuthError,
  RestBudgetError,
  RestRequestError,
} from './rest-client';

describe('backfill steps', () => {
  it('asks for one ticker’s trades newest first between the gap start and its last print', () => {
    expect(
      firstTradesPage(
        'BRK.B',
        1_800_000_000_000.7,
        '1800000050000000001',
        1000,
      ),
    ).toBe(
      '/v3/trades/BRK.B?order=desc&sort=timestamp&limit=1000' +
        '&timestamp.gte=1800000000000000000&timestamp.lte=1800000050000000001',
    );
    expect(firstTradesPage('A/B', 0, '1', 5)).toContain('/v3/trades/A%2FB?');
  });

  it('refuses a page already read, and pages past the cap', () => {
    const fetched = new Set(['/a', '/b']);
    expect(pageRefusal(fetched, '/c')).toBeUndefined();
    expect(pageRefusal(fetched, '/a')).toBe('next_url_loop');
    const full = new Set(
      Array.from({ length: MAX_PAGES_PER_LOOKUP }, (_, i) => `/p${i}`),
    );
    expect(pageRefusal(full, '/new')).toBe('too_many_pages');
    // A loop is named as such even when the cap is reached too.
    expect(pageRefusal(full, '/p0')).toBe('next_url_loop');
  });

  it('stops the run for an abort first, then the deadline, then a refused key', () => {
    const auth = new RestAuthError(401);
    const other = new Error('boom');
    const none = { aborted: false, deadlinePassed: false };
    expect(runStopper(auth, { aborted: true, deadlinePassed: true })).toBe(
      'aborted',
    );
    expect(runStopper(auth, { aborted: false, deadlinePassed: true })).toBe(
      'deadline',
    );
    expect(runStopper(auth, none)).toBe('unauthorized');
    expect(runStopper(other, none)).toBeUndefined();
  });

  it('stops on a run stopper or an empty budget, and keeps going after a request error', () => {
    const req = new RestRequestError('trades', '503');
    expect(lookupFailure(req, 'aborted')).toEqual({ stop: 'aborted' });
    expect(lookupFailure(new RestBudgetError(), undefined)).toEqual({
      stop: 'partial',
    });
    expect(lookupFailure(req, undefined)).toEqual({
      error: 'Polygon REST trades failed (last: 503)',
    });
    expect(lookupFailure(new Error('x'), undefined)).toEqual({});
  });

  it('ends healed only with nothing unresolved and no stop', () => {
    expect(lookupsOutcome(undefined, 0)).toBe('healed');
    expect(lookupsOutcome(undefined, 2)).toBe('partial');
    expect(lookupsOutcome('unauthorized', 0)).toBe('unauthorized');
  });
});
