import { Command } from 'ioredis';
import { tickBatchOf } from '@tickpulse/contracts';
import { digits, writeUint } from './resp-wire';
import { zaddGtCommands } from './zadd-gt-command';

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
  const members: [string, number][] = [
    ['AAPL', 1_752_586_200_412],
    ['BRK.A', 5],
    ['ABCDEFGHIJKLMNOP', 9_007_199_254_740_991],
    ['X', 100_000_000],
    ['BF-B', 10],
    ['MSFT', 99_999_999],
    ['IBM', 999_999_999_999],
  ];
  const batch = tickBatchOf(
    members.map(m => m[0]),
    members.map(m => m[1]),
  );
  const key = 'test-é:TICK:UPD';

  it('encodes byte for byte what ioredis would send, in chunks', () => {
    for (const chunk of [1, 2, 3, members.length, 500]) {
      const commands = zaddGtCommands(key, batch, chunk);
      expect(commands).toHaveLength(Math.ceil(members.length / chunk));
      commands.forEach((c, i) => {
        expect(c.name).toBe('zadd');
        // Routing (the Cluster slot) is decided by the key argument.
        expect(c.args[0]).toBe(key);
        expect(c.toWritable()).toEqual(
          ioredisWire(key, members.slice(i * chunk, (i + 1) * chunk)),
        );
      });
    }
  });

  it('makes no command for an empty batch', () => {
    expect(zaddGtCommands(key, tickBatchOf([], []), 500)).toEqual([]);
  });

  it('writes every non-negative safe integer as String() does', () => {
    const samples = [0, 7, 10, 99_999_999, 100_000_000, 123_456_789_012];
    for (let n = 1; n < Number.MAX_SAFE_INTEGER / 7; n = n * 7 + 3)
      samples.push(n, n + 1e8);
    samples.push(Number.MAX_SAFE_INTEGER);
    for (const n of samples) {
      const buf = Buffer.alloc(20);
      const end = writeUint(buf, 0, n);
      expect([n, buf.toString('latin1', 0, end)]).toEqual([n, String(n)]);
      expect(digits(n)).toBe(String(n).length);
    }
  });
});
