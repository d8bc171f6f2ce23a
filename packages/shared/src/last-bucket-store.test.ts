import { parseBucket } from './last-bucket-store';

describe('parseBucket', () => {
  it('reads decimal ms strings', () => {
    expect(parseBucket('1752552000000')).toBe(1752552000000);
  });

  it.each([
    null,
    undefined,
    '',
    'abc',
    '1.5e12',
    ' 1752552000000',
    '0x10',
    '1752552000000.0',
  ])('treats %j as never evaluated', v => expect(parseBucket(v)).toBeNull());
});
