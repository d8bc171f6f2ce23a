import { Command } from 'ioredis';
import { EncodedMembersScript, EncodedSadd, encodeSadd } from './encoded-sadd';

/** What ioredis itself writes for the same SADD. */
const ioredisWire = (key: string, members: string[]) =>
  Buffer.from(
    new Command('SADD', [key, ...members]).toWritable({}) as string,
    'utf8',
  );

describe('encodeSadd', () => {
  it.each([
    ['tickers', 'STRAT:1:UNIV', ['AAPL', 'BRK.A', 'BF-B', 'X']],
    ['a 10+ character member', 'k', ['ABCDEFGHIJKLMNOP', 'A']],
    ['a non-ASCII key and members', 'pré:STRAT:2:UNIV', ['ÄPFEL', '株', 'A']],
    ['many members', 'k', Array.from({ length: 1234 }, (_, i) => `T${i}`)],
  ])('writes the bytes ioredis writes (%s)', (_, key, members) => {
    expect(encodeSadd(key, members).equals(ioredisWire(key, members))).toBe(
      true,
    );
  });

  it('routes by its key and refuses an SADD without members', () => {
    expect(new EncodedSadd('{a}x', ['A']).getKeys()).toEqual(['{a}x']);
    expect(() => new EncodedSadd('k', [])).toThrow(RangeError);
  });
});

describe('EncodedMembersScript', () => {
  it('writes the bytes ioredis writes for the same EVAL, routed by its key', () => {
    const members = ['AAPL', 'ÄPFEL', 'BRK.A'];
    const script = 'return #ARGV';
    const cmd = new EncodedMembersScript(script, 'STRAT:1:UNIV', members);
    const ioredis = Buffer.from(
      new Command('EVAL', [script, '1', 'STRAT:1:UNIV', ...members]).toWritable(
        {},
      ) as string,
      'utf8',
    );
    expect(cmd.toWritable().equals(ioredis)).toBe(true);
    expect(cmd.getKeys()).toEqual(['STRAT:1:UNIV']);
    expect(() => new EncodedMembersScript(script, 'k', [])).toThrow(RangeError);
  });
});
