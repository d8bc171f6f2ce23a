import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis.js';

// Compare-and-act scripts: only the current holder may renew or release, so a
// holder that stalled past its TTL cannot extend or delete a successor's lease.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/** A Redis lease: `SET key token NX PX ttl`, renewed and released only by its holder. */
export interface Lease {
  /** This holder's unique token. */
  readonly token: string;
  /** Takes the lease if free (or already ours, renewing it); true when held afterwards. */
  acquire(): Promise<boolean>;
  /** Extends the lease; false when it is no longer ours (expired, or taken over). */
  renew(): Promise<boolean>;
  /** Gives the lease up if still ours. */
  release(): Promise<void>;
  /** The current holder's token, or null. */
  holder(): Promise<string | null>;
}

/**
 * Creates a lease handle.
 *
 * @param ttlMs how long the lease survives a holder that stops renewing; the
 *   standby's takeover time is bounded by it.
 */
export function createLease(
  redis: RedisClient,
  key: string,
  ttlMs: number,
  token = randomUUID(),
): Lease {
  const renew = async () =>
    (await redis.eval(RENEW, 1, key, token, ttlMs)) === 1;
  return {
    token,
    async acquire() {
      const set = await redis.set(key, token, 'PX', ttlMs, 'NX');
      return set === 'OK' || (await renew());
    },
    renew,
    async release() {
      await redis.eval(RELEASE, 1, key, token);
    },
    holder: () => redis.get(key),
  };
}
