import { Command } from 'ioredis';

/**
 * A `ZADD key GT CH ms ticker …` whose wire form (RESP) is written straight
 * into one Buffer. ioredis encodes a command by converting every argument to
 * a string and concatenating about four strings per argument; for a
 * 1 000-argument ZADD that rope, flattened and UTF-8 encoded at the socket,
 * was the largest single cost of tick-writer (several times what this
 * encoder costs per member). The arguments that decide routing (the key)
 * are kept as ordinary arguments, so Cluster slot calculation is unchanged.
 */
export class ZaddGtCommand extends Command {
  private readonly wire: Buffer;

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
    super('zadd', [key, 'GT', 'CH']);
    this.wire = encodeZaddGt(key, tickers, times, from, to);
  }

  /** The prebuilt RESP bytes (ioredis writes whatever this returns). */
  override toWritable(): Buffer {
    return this.wire;
  }
}

const CR = 13;
const LF = 10;
const DOLLAR = 36;
const ZERO = 48;
/** `$NN\r\n` + 16 digits + `\r\n`, twice, is below this per member. */
const MAX_MEMBER_BYTES = 64;

/** Writes `$<len>\r\n` for a length below 100. */
function writeLength(buf: Buffer, o: number, len: number): number {
  buf[o++] = DOLLAR;
  if (len >= 10) buf[o++] = ZERO + Math.floor(len / 10);
  buf[o++] = ZERO + (len % 10);
  buf[o++] = CR;
  buf[o++] = LF;
  return o;
}

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
  const head =
    `*${4 + 2 * count}\r\n$4\r\nzadd\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n` +
    '$2\r\nGT\r\n$2\r\nCH\r\n';
  const buf = Buffer.allocUnsafe(
    Buffer.byteLength(head) + count * MAX_MEMBER_BYTES,
  );
  let o = buf.write(head, 0, 'utf8');
  for (let i = from; i < to; i++) {
    let ms = times[i]!;
    let digits = 1;
    for (let p = 10; p <= ms; p *= 10) digits++;
    o = writeLength(buf, o, digits);
    for (let k = o + digits - 1; k >= o; k--) {
      const q = Math.floor(ms / 10);
      buf[k] = ZERO + (ms - q * 10);
      ms = q;
    }
    o += digits;
    buf[o++] = CR;
    buf[o++] = LF;
    const t = tickers[i]!;
    o = writeLength(buf, o, t.length);
    for (let k = 0; k < t.length; k++) buf[o++] = t.charCodeAt(k);
    buf[o++] = CR;
    buf[o++] = LF;
  }
  return buf.subarray(0, o);
}
