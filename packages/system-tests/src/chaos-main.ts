/**
 * `npm run test:chaos`: the full fault-injection suite, `CHAOS_RUNS` times in
 * a row (default 3), report in results/chaos-report.md and on stdout.
 * `CHAOS_MODE=short` runs the shortened form CI runs through jest.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  renderReport,
  runChaos,
  type ChaosMode,
  type ChaosResult,
} from './chaos/index.js';

async function main(): Promise<void> {
  const runs = Math.max(1, Number(process.env.CHAOS_RUNS ?? 3) || 3);
  const mode: ChaosMode = process.env.CHAOS_MODE === 'short' ? 'short' : 'full';
  const results: ChaosResult[] = [];
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(
    dir,
    mode === 'full' ? 'chaos-report.md' : 'chaos-report-short.md',
  );
  for (let i = 0; i < runs; i++) {
    process.stdout.write(`\n[chaos] run ${i + 1}/${runs} (${mode})\n`);
    results.push(await runChaos({ mode }));
    // Written after every run, so an interrupted series still leaves a report.
    writeFileSync(file, renderReport(results));
  }
  const report = renderReport(results);
  process.stdout.write(`\n${report}\n`);
  process.stdout.write(`[chaos] report written to ${file}\n`);
  process.exitCode = results.every(r => r.ok) ? 0 : 1;
}

main().catch(err => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
