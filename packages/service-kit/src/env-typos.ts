/**
 * Edit distance between two names where swapping two adjacent characters
 * counts as one edit (optimal string alignment): `REDIS_ULR` is one edit
 * from `REDIS_URL`, as a typist would count it.
 *
 * @param a one name.
 * @param b the other.
 * @returns the number of insertions, deletions, substitutions and adjacent swaps.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number) => d[i * cols + j]!;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        at(i - 1, j) + 1,
        at(i, j - 1) + 1,
        at(i - 1, j - 1) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The first word of a variable name with its underscore (`REDIS_`, `TICKS_`), or '' when it has none. */
const prefixOf = (name: string): string => {
  const i = name.indexOf('_');
  return i > 0 ? name.slice(0, i + 1) : '';
};

/** A set variable that looks like a misspelling of a known one. */
export interface MisspelledVariable {
  name: string;
  /** The known name it is closest to. */
  suggestion: string;
}

/**
 * The variables in `env` that are probably typos of a `known` name: unknown
 * themselves, sharing a known name's first word (`REDIS_`, `TICKS_`, …) and
 * at most one edit away from it (two for names of 20 characters or more).
 * Staying within a known word keeps the rest of the environment (`HOME`,
 * `HTTPS_PROXY`, other programs' variables) out of it. Such a variable is
 * ignored by the schema, so the default runs instead of what the operator
 * meant; the caller warns instead of failing, since the name may belong to
 * something else.
 *
 * @param env the environment (only the names are read).
 * @param known every name the reader accepts, deprecated ones included.
 * @returns one entry per suspicious name, in name order.
 */
export function misspelledVariables(
  env: Record<string, string | undefined>,
  known: Iterable<string>,
): MisspelledVariable[] {
  const knownNames = [...known];
  const knownSet = new Set(knownNames);
  const out: MisspelledVariable[] = [];
  for (const name of Object.keys(env).sort()) {
    if (knownSet.has(name) || env[name] === undefined) continue;
    const prefix = prefixOf(name);
    if (prefix === '') continue;
    let best: { name: string; distance: number } | undefined;
    for (const k of knownNames) {
      if (prefixOf(k) !== prefix) continue;
      const distance = editDistance(name, k);
      const limit = k.length >= 20 ? 2 : 1;
      if (distance <= limit && (!best || distance < best.distance))
        best = { name: k, distance };
    }
    if (best) out.push({ name, suggestion: best.name });
  }
  return out;
}
