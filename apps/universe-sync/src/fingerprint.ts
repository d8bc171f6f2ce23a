/**
 * Bump when `desiredUniverse` or the row version changes meaning: every
 * stored fingerprint then stops matching. 3: row version (xmin/ctid/size)
 * instead of md5 of the universe's text.
 */
const FINGERPRINT_VERSION = '3';

/**
 * The fingerprint reconcile stores for a set it compared with its row.
 *
 * @param version the row's version (`StrategyDigest.digest`) when it was read
 * @param size the number of members the row asks for (0: no set)
 * @returns the value kept in the fingerprints hash under the strategy's id
 */
export function fingerprint(version: string, size: number): string {
  return `${FINGERPRINT_VERSION}:${version}:${size}`;
}
