import {
  CR,
  digits,
  LF,
  PrebuiltCommand,
  respHead,
  writeBulkLength,
  writeUint,
} from './resp-wire.js';

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
  /**
   * @param key the sorted set
   * @param tickers members, ASCII (normalised tickers)
   * @param times scores, non-negative safe integers, parallel to `tickers`
   * @param from first index to encode
   * @param to one past the last index to encode
   */
  constructor(
    key: string,
    tickers: readonly string[],
    times: readonly number[],
    from: number,
    to: number,
  ) {
    super(
      'zadd',
      [key, 'GT', 'CH'],
      encodeZaddGt(key, tickers, times, from, to),
    );
  }
}

/** `$NN\r\n` + 16 digits + `\r\n`, twice, is below this per member. */
const MAX_MEMBER_BYTES = 64;

/**
 * The RESP encoding of `ZADD key GT CH times[i] tickers[i] …` for
 * `from <= i < to`; byte-identical to what ioredis would send.
 */
export function encodeZaddGt(
  key: string,
  tickers: readonly string[],
  times: readonly number[],
  from: number,
  to: number,
): Buffer {
  const count = to - from;
  const head = respHead(4 + 2 * count, ['zadd', key, 'GT', 'CH']);
  const buf = Buffer.allocUnsafe(
    Buffer.byteLength(head) + count * MAX_MEMBER_BYTES,
  );
  let o = buf.write(head, 0, 'utf8');
  for (let i = from; i < to; i++) {
    const ms = times[i]!;
    const d = digits(ms);
    o = writeBulkLength(buf, o, d);
    o = writeUint(buf, o, ms, d);
    buf[o++] = CR;
    buf[o++] = LF;
    const t = tickers[i]!;
    o = writeBulkLength(buf, o, t.length);
    for (let k = 0; k < t.length; k++) buf[o++] = t.charCodeAt(k);
    buf[o++] = CR;
    buf[o++] = LF;
  }
  return buf.subarray(0, o);
}
