import { Command } from 'ioredis';
import { encodeZaddGt } from './zadd-gt-command';

/** What ioredis itself sends for the same ZADD. */
function ioredisWire(key: string, members: [string, number][]): Buffer {
  const cmd = new Command('zadd', [
    key,
    'GT',
    'CH',
    ...members.flatMap(([t, ms]) => [String(ms), t]),
  ]);
  return Buffer.from(cmd.toWritable({}) as string, 'utf8');
}

describe('prebuilt ZADD GT CH', () => {
  it('encodes byte for byte what ioredis would send', () => {
    const members: [string, number][] = [
      ['AAPL', 1_752_586_200_412],
      ['BRK.A', 5],
      ['ABCDEFGHIJKLMNOP', 9_007_199_254_740_991],
      ['X', 0],
      ['BF-B', 10],
    ];
    const tickers = members.map(m => m[0]);
    const times = members.map(m => m[1]);
    const key = 'test-é:TICK:UPD';
    expect(encodeZaddGt(key, tickers, times, 0, members.length)).toEqual(
      ioredisWire(key, members),
    );
    expect(encodeZaddGt(key, tickers, times, 1, 3)).toEqual(
      ioredisWire(key, members.slice(1, 3)),
    );
  });
});
