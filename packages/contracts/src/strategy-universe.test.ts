import { desiredUniverse } from './strategy-universe';

const row = (alertactive: boolean, u: unknown) => ({
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

  it.each([
    [
      [
        ['AAPL', 'MSFT'],
        ['TSLA', 'NVDA'],
      ],
      /multi-dimensional/,
    ],
    [[['AAPL'], ['MSFT']], /multi-dimensional/],
    [['AAPL', 7], /element \[1\] is not text/],
    [['AAPL', { t: 'MSFT' }], /not text/],
    ['{AAPL}', /not an array/],
  ])('treats the malformed universe %j as having no set', (u, problem) => {
    const d = desiredUniverse(row(true, u));
    expect(d).toMatchObject({ kind: 'none', reason: 'malformed' });
    expect(d.kind === 'none' && d.problem).toMatch(problem);
  });

  it('bounds what it quotes of a malformed element', () => {
    const d = desiredUniverse(row(true, [['X'.repeat(1_000_000)]]));
    expect(d.kind === 'none' && d.problem!.length).toBeLessThan(200);
  });

  it('never turns Unicode case mappings into tickers', () => {
    const d = desiredUniverse(row(true, ['ıbm', 'ſpy', 'ß', 'ﬁ', 'aapl']));
    expect(d).toMatchObject({ kind: 'set', tickers: ['AAPL'] });
    expect(d.invalid.map(i => i.value)).toEqual(['ıbm', 'ſpy', 'ß', 'ﬁ']);
    expect(desiredUniverse(row(true, ['ıbm', 'ß']))).toMatchObject({
      kind: 'none',
      reason: 'no-valid-tickers',
    });
  });
});
