/**
 * A deterministic PRNG (mulberry32) returning numbers in [0, 1).
 *
 * It lives in its own dependency-free package because two kinds of code need
 * the same generator: the simulator at runtime (a seed reproduces a trade
 * stream) and the randomized tests through `@tickpulse/testkit` (a failing
 * case reproduces from its seed). Neither may depend on the other.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
