import { Command, type ChainableCommander, type Pipeline } from 'ioredis';

/**
 * A command whose RESP bytes were built by the caller, in one Buffer.
 * ioredis encodes every argument on its own (type checks, string
 * concatenation, one large UTF-8 conversion at the socket); for commands of
 * thousands of arguments that costs more than the data it carries. `args`
 * are only what routing needs (the key, so Cluster picks the slot as for the
 * plain command); `wire` is what is written.
 */
export class PrebuiltCommand extends Command {
  private readonly wire: Buffer;

  constructor(name: string, args: string[], wire: Buffer) {
    super(name, args);
    this.wire = wire;
  }

  override toWritable(): Buffer {
    return this.wire;
  }
}

/**
 * Queues a command on a pipeline or MULTI. `multi()`/`pipeline()` return a
 * `Pipeline`, whose `sendCommand` the `ChainableCommander` type leaves out.
 */
export function queueCommand(
  batch: ChainableCommander,
  command: PrebuiltCommand,
): void {
  (batch as unknown as Pipeline).sendCommand(command);
}

export const CR = 0x0d;
export const LF = 0x0a;
const DOLLAR = 0x24;

/** Decimal digits of a non-negative integer. */
export function digits(n: number): number {
  // A ms time (2001–2286), the number written most.
  if (n >= 1e12 && n < 1e13) return 13;
  let d = 1;
  for (let p = 10; p <= n; p *= 10) d++;
  return d;
}

/**
 * Writes a non-negative integer's decimal digits at `p`; returns the end.
 * `d` is `digits(n)` when the caller already has it.
 */
export function writeUint(
  buf: Buffer,
  p: number,
  n: number,
  d = digits(n),
): number {
  const end = p + d;
  let i = end - 1;
  // The low 8 digits, then the rest (below 2^53 / 10^8 < 2^31), in 32-bit
  // integer arithmetic, where V8 turns a division by 10 into a multiply: a
  // 13-digit ms time otherwise costs 13 floating-point divisions.
  if (n >= 1e8) {
    const hi = Math.floor(n / 1e8);
    let lo = (n - hi * 1e8) | 0;
    for (let k = 0; k < 8; k++) {
      const q = (lo / 10) | 0;
      buf[i--] = 0x30 + lo - q * 10;
      lo = q;
    }
    n = hi;
  }
  let x = n | 0;
  for (; i >= p; i--) {
    const q = (x / 10) | 0;
    buf[i] = 0x30 + x - q * 10;
    x = q;
  }
  return end;
}

/** Writes a bulk string's header `$<len>\r\n` at `o`; returns the end. */
export function writeBulkLength(buf: Buffer, o: number, len: number): number {
  buf[o++] = DOLLAR;
  // Members are short: two digits at most, without the general loop.
  if (len < 100) {
    if (len >= 10) buf[o++] = 0x30 + Math.floor(len / 10);
    buf[o++] = 0x30 + (len % 10);
  } else {
    o = writeUint(buf, o, len);
  }
  buf[o++] = CR;
  buf[o++] = LF;
  return o;
}

/** `*<count>\r\n` and the bulk strings `args`, as ioredis would write them. */
export function respHead(count: number, args: readonly string[]): string {
  let head = `*${count}\r\n`;
  for (const a of args) head += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return head;
}
