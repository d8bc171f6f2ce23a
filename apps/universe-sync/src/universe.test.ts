import { desiredUniverse } from './universe';

const row = (alertactive: boolean, u: (string | null)[] | null) => ({
  strategyid: 7,
  alertactive,
  alert_universe_full: u,
});

describe('desiredUniverse', () => {
  it('removes the set of a deleted, inactive or global strategy', () => {
    expect(desiredUniverse(undefined)).toMatchObject({
      kind: 'none',
      reason: 'deleted',
    });
    expect(desiredUniverse(row(false, ['AAPL']))).toMatchObject({
      kind: 'none',
      reason: 'inactive',
    });
    expect(desiredUniverse(row(true, null))).toMatchObject({
      kind: 'none',
      reason: 'global',
    });
    expect(desiredUniverse(row(true, []))).toMatchObject({
      kind: 'none',
      reason: 'global',
    });
    expect(desiredUniverse(row(true, [null, ' ']))).toMatchObject({
      kind: 'none',
      reason: 'global',
    });
  });

  it('normalises, de-duplicates and drops NULL and blank elements', () => {
    expect(
      desiredUniverse(row(true, ['aapl', null, ' AAPL ', '', 'brk.a'])),
    ).toEqual({
      kind: 'set',
      tickers: ['AAPL', 'BRK.A'],
      invalid: [],
    });
  });

  it('leaves out and reports elements that are not tickers', () => {
    const d = desiredUniverse(row(true, ['AAPL', 'NOT A TICKER', '$X']));
    expect(d).toMatchObject({ kind: 'set', tickers: ['AAPL'] });
    expect(d.invalid.map(i => i.index)).toEqual([1, 2]);
    expect(desiredUniverse(row(true, ['$X']))).toMatchObject({
      kind: 'none',
      reason: 'no-valid-tickers',
    });
  });
});
