/**
 * The oldest Node.js major tickpulse supports: the root package.json's
 * `engines` (a test keeps them equal). fastify's cookie 2 already requires
 * it, and CI tests Node 22 and 24 only.
 */
export const MIN_NODE_MAJOR = 22;

/**
 * What to tell someone running tickpulse on a Node.js older than it
 * supports, or undefined on a supported one. An older Node still starts
 * (nothing is known to break on Node 20 yet), so this is a warning, not a
 * refusal: the point is that nothing tests it and any update may break it.
 *
 * @param version `process.version`, e.g. `v20.20.2`
 */
export function unsupportedNodeWarning(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (!Number.isInteger(major) || major >= MIN_NODE_MAJOR) return undefined;
  return (
    `Node.js ${version} is not supported: tickpulse needs Node.js ` +
    `${MIN_NODE_MAJOR} or newer (CI tests 22 and 24). It runs, untested; ` +
    'a dependency update may break it. Upgrade Node.js.'
  );
}
