import {
  CR,
  digits,
  LF,
  PrebuiltCommand,
  respHead,
  writeBulkLength,
  writeUint,
} from './resp-wire.js';
import type { TickBatch } from '@tickpulse/contracts';

/**
 * A `ZADD key GT CH ms ticker …` whose wire form (RESP) is written straight
 * into one Buffer. ioredis encodes a command by converting every argument to
 * a string and concatenating about four strings per argument; for a
 * 1 000-argument ZADD that rope, flattened and UTF-8 encoded at the socket,
 * was the largest single cost of tick-writer (several times what this
 * encoder costs per member). The arguments that decide routing (the key)
 * are kept as ordinary arguments, so Cluster slot calculation is unchanged.
 */
export class ZaddGtCommand extends PrebuiltCommand {
  constructor(key: string, wire: Buffer) {
    super('zadd', [key, 'GT', 'CH'], wire);
  }
}

/** `$NN\r\n` + 16 digits + `\r\n`, twice, is below this per member. */
const MAX_MEMBER_BYTES = 64;
const SPACE = 0x20;

/** The `ZADD key GT CH` commands that write a batch, `chunkSize` members each. */
export function zaddGtCommands(
  key: string,
  batch: TickBatch,
  chunkSize: number,
): ZaddGtCommand[] {
  const { symbols, times } = batch;
  const commands: ZaddGtCommand[] = [];
  let at = 0;
  for (let from = 0; from < times.length; from += chunkSize) {
    const to = Math.min(times.length, from + chunkSize);
    const chunk = encodeZaddGt(key, symbols, at, times, from, to);
    commands.push(new ZaddGtCommand(key, chunk.wire));
    at = chunk.next;
  }
  return commands;
}

/**
 * The RESP encoding of `ZADD key GT CH times[i] ticker(i) …` for
 * `from <= i < to`, byte-identical to what ioredis would send. Tickers are
 * read from `symbols` (space-separated, as a batch holds them) starting at
 * character `at`; `next` is where the ticker after `to - 1` starts.
 */
export function encodeZaddGt(
  key: string,
  symbols: string,
  at: number,
  times: readonly number[],
  from: number,
  to: number,
): { wire: Buffer; next: number } {
  const count = to - from;
  const head = respHead(4 + 2 * count, ['zadd', key, 'GT', 'CH']);
  const buf = Buffer.allocUnsafe(
    Buffer.byteLength(head) + count * MAX_MEMBER_BYTES,
  );
  let o = buf.write(head, 0, 'utf8');
  let p = at;
  for (let i = from; i < to; i++) {
    const ms = times[i]!;
    const d = digits(ms);
    o = writeBulkLength(buf, o, d);
    o = writeUint(buf, o, ms, d);
    buf[o++] = CR;
    buf[o++] = LF;
    let end = p;
    while (end < symbols.length && symbols.charCodeAt(end) !== SPACE) end++;
    o = writeBulkLength(buf, o, end - p);
    for (let k = p; k < end; k++) buf[o++] = symbols.charCodeAt(k);
    buf[o++] = CR;
    buf[o++] = LF;
    p = end + 1;
  }
  return { wire: buf.subarray(0, o), next: p };
}
