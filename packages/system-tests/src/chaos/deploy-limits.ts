import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness.js';

const UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

/**
 * The memory limit (bytes) of `resources.limits` in one Deployment
 * manifest. Parsed from the text rather than hard-coded, so a change to a
 * manifest changes what the chaos suite holds the app to.
 */
export function memoryLimitOf(manifest: string): number {
  const m =
    /limits:\s*\n(?:\s+\w+:.*\n)*?\s+memory:\s*'?(\d+)(Ki|Mi|Gi)'?/.exec(
      manifest,
    );
  if (!m) throw new Error('no resources.limits.memory in the manifest');
  return Number(m[1]) * UNITS[m[2]!]!;
}

const cache = new Map<string, number>();

/** The deploy memory limit of `app` (`deploy/base/<app>.yaml`). */
export function deployMemoryLimit(app: string): number {
  let limit = cache.get(app);
  if (limit === undefined) {
    const file = join(REPO_ROOT, 'deploy', 'base', `${app}.yaml`);
    limit = memoryLimitOf(readFileSync(file, 'utf8'));
    cache.set(app, limit);
  }
  return limit;
}
