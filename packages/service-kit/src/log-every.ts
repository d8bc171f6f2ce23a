/**
 * Lets a repeating log line through at most once per `everyMs` and counts
 * the calls it held back, so that a failure repeating every few milliseconds
 * (a dead connection, a rejected publish) costs one line per period while
 * the line still says how often it happened.
 *
 * ```ts
 * const warnEvery = logEvery(10_000);
 * warnEvery(suppressed => log.warn({ err, suppressed }, 'publish failed'));
 * ```
 *
 * @param now the clock (tests pass their own).
 * @returns a gate: it calls `emit` with the number of calls held back since
 *   the last line when a period has passed (the first call always passes)
 *   and returns whether it did. `at` is the time of the call when the caller
 *   already has it (its own clock); `now()` otherwise.
 */
export function logEvery(
  everyMs: number,
  now: () => number = Date.now,
): (emit: (suppressed: number) => void, at?: number) => boolean {
  let last: number | null = null;
  let suppressed = 0;
  return (emit, at) => {
    const t = at ?? now();
    if (last !== null && t - last < everyMs) {
      suppressed++;
      return false;
    }
    const held = suppressed;
    last = t;
    suppressed = 0;
    emit(held);
    return true;
  };
}
