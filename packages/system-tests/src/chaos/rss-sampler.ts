import type { System } from '../harness.js';
import type { ChaosResult } from './result.js';

/** Bytes as MiB with one decimal, as the report prints them. */
export const toMiB = (b: number) => Math.round((b / 1048576) * 10) / 10;

/** Peak and last RSS per process name, over every restart. */
export interface RssSampler {
  /** Reads the RSS of every running process once. */
  sample(): void;
  readonly max: ReadonlyMap<string, number>;
  readonly last: ReadonlyMap<string, number>;
  samples(): number;
  /** Peak and last RSS per process, for the result. */
  summary(): ChaosResult['rss'];
}

/** Samples keyed by process name, so a restarted process keeps its peak. */
export function createRssSampler(system: System): RssSampler {
  const max = new Map<string, number>();
  const last = new Map<string, number>();
  let samples = 0;
  return {
    sample() {
      for (const p of system.all()) {
        const b = p.rssBytes();
        if (b === undefined) continue;
        last.set(p.name, b);
        max.set(p.name, Math.max(max.get(p.name) ?? 0, b));
      }
      samples++;
    },
    max,
    last,
    samples: () => samples,
    summary() {
      const out: ChaosResult['rss'] = {};
      for (const [n, b] of max)
        out[n] = {
          maxMiB: toMiB(b),
          lastMiB: toMiB(last.get(n) ?? 0),
          samples,
        };
      return out;
    },
  };
}
