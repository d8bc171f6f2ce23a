import { splitPlainArray } from './strategy-universe';

describe('splitPlainArray', () => {
  it('splits an unquoted one-dimensional array, NULL as null', () => {
    expect(splitPlainArray('{AAPL,MSFT,NULL,BRK.A}')).toEqual([
      'AAPL',
      'MSFT',
      null,
      'BRK.A',
    ]);
    expect(splitPlainArray('{AAPL}')).toEqual(['AAPL']);
    expect(splitPlainArray('{}')).toEqual([]);
  });

  it('leaves quoted, nested and bounded forms to the JSON read', () => {
    expect(splitPlainArray('{"NULL",AAPL}')).toBeUndefined();
    expect(splitPlainArray('{"a b"}')).toBeUndefined();
    expect(splitPlainArray('{{AAPL},{MSFT}}')).toBeUndefined();
    expect(splitPlainArray('[0:1]={AAPL,MSFT}')).toBeUndefined();
  });
});
