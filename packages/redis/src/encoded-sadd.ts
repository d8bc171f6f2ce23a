import type { ChainableCommander } from 'ioredis';
import {
  CR,
  digits,
  LF,
  PrebuiltCommand,
  queueCommand,
  respHead,
  writeBulkLength,
} from './resp-wire.js';

/**
 * An SADD whose RESP bytes are written once, straight into one Buffer, for
 * `pipeline.sendCommand(...)` / `multi().sendCommand(...)`. ioredis encodes
 * each argument on its own (flattening, type checks, `Buffer.byteLength`,
 * string concatenation, then one large UTF-8 conversion at write time): for
 * reconcile's 5 M members that cost more CPU than everything else it does in
 * JavaScript, and packing them into one Lua argument instead moved the cost
 * to Redis (splitting in Lua took longer than the SADD itself). Tickers are
 * ASCII, so each member's bytes are its character codes; any other string is
 * encoded as UTF-8. The key is its first argument, so Cluster routes it by
 * the key's slot as for any SADD. The reply is SADD's (members added).
 */
export class EncodedSadd extends PrebuiltCommand {
  constructor(key: string, members: readonly string[]) {
    if (members.length === 0) throw new RangeError('SADD needs a member');
    super('sadd', [key], encodeSadd(key, members));
  }
}

/**
 * `EVAL <script> 1 key ...members`, pre-encoded like `EncodedSadd`: a script
 * handed every member as its own argument (no splitting in Lua) that answers
 * one value for the whole set, where SMISMEMBER's one reply per member cost
 * Node more to decode than Redis to answer. Routed by `key`.
 */
export class EncodedMembersScript extends PrebuiltCommand {
  constructor(script: string, key: string, members: readonly string[]) {
    if (members.length === 0) throw new RangeError('the script needs a member');
    super(
      'eval',
      [script, '1', key],
      encodeMembersCommand(['EVAL', script, '1', key], members),
    );
  }

  override getKeys(): string[] {
    return [this.args[2] as string];
  }
}

/** Queues `SADD key ...members` (pre-encoded) on a pipeline or MULTI. */
export function queueEncodedSadd(
  batch: ChainableCommander,
  key: string,
  members: readonly string[],
): void {
  queueCommand(batch, new EncodedSadd(key, members));
}

/** Queues an `EncodedMembersScript` on a pipeline. */
export function queueEncodedMembersScript(
  batch: ChainableCommander,
  script: string,
  key: string,
  members: readonly string[],
): void {
  queueCommand(batch, new EncodedMembersScript(script, key, members));
}

/** `SADD key ...members` as RESP. */
export function encodeSadd(key: string, members: readonly string[]): Buffer {
  return encodeMembersCommand(['SADD', key], members);
}

/** `...head ...members` as RESP. */
function encodeMembersCommand(
  head0: readonly string[],
  members: readonly string[],
): Buffer {
  const head = respHead(members.length + head0.length, head0);
  // Exact for ASCII members: `$<len>\r\n<member>\r\n`.
  let size = Buffer.byteLength(head);
  for (const m of members) size += m.length + digits(m.length) + 5;
  const buf = Buffer.allocUnsafe(size);
  let p = buf.write(head, 0, 'utf8');
  for (const m of members) {
    const len = m.length;
    p = writeBulkLength(buf, p, len);
    for (let i = 0; i < len; i++) {
      const c = m.charCodeAt(i);
      if (c > 0x7f) return encodeUtf8(head, members);
      buf[p++] = c;
    }
    buf[p++] = CR;
    buf[p++] = LF;
  }
  return buf;
}

/** The general case (some member is not ASCII): lengths in UTF-8 bytes. */
function encodeUtf8(head: string, members: readonly string[]): Buffer {
  let s = head;
  for (const m of members) s += `$${Buffer.byteLength(m)}\r\n${m}\r\n`;
  return Buffer.from(s, 'utf8');
}
