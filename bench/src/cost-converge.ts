import type { Cluster, Redis } from 'ioredis';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Members whose score differs from the oracle, or that it does not know. */
export async function differing(
  client: Redis | Cluster,
  key: string,
  expected: ReadonlyMap<string, number>,
): Promise<string[]> {
  const flat = await client.zrange(key, '0', '-1', 'WITHSCORES');
  const out: string[] = [];
  const seen = new Set<string>();
  for (let j = 0; j < flat.length; j += 2) {
    const sym = flat[j]!;
    seen.add(sym);
    if (expected.get(sym) !== Number(flat[j + 1])) out.push(sym);
  }
  for (const sym of expected.keys()) if (!seen.has(sym)) out.push(sym);
  return out;
}

/**
 * Waits until the sorted set `key` equals `expected` exactly and returns
 * the wall time it first did, or null at `deadline` (ms). One full read
 * finds the members still differing; afterwards only those are polled
 * (ZMSCORE every `intervalMs`): under ZADD GT a member that reached its
 * oracle value stays there, so polling stays cheap for the Redis whose CPU
 * is being measured. The caller re-checks the whole set afterwards.
 */
export async function waitEqual(
  client: Redis | Cluster,
  key: string,
  expected: ReadonlyMap<string, number>,
  deadline: number,
  intervalMs = 5,
): Promise<number | null> {
  let pending = await differing(client, key, expected);
  for (;;) {
    if (pending.length === 0) return Date.now();
    if (Date.now() > deadline) return null;
    await sleep(intervalMs);
    const scores = await client.zmscore(key, ...pending);
    pending = pending.filter(
      (sym, j) => scores[j] === null || expected.get(sym) !== Number(scores[j]),
    );
  }
}
