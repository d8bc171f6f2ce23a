/**
 * Reconnect delay: exponential from `minMs`, doubling per attempt up to
 * `maxMs`, with ±50 % jitter so that replicas (or a fleet of clients) do not
 * reconnect in lockstep.
 */
export function backoffDelay(
  attempt: number,
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + random()));
}
