import type { ChaosResult } from './result.js';

/** Markdown report of one or more runs. */
export function renderReport(
  results: ChaosResult[],
  title = 'Chaos suite report',
): string {
  const out: string[] = [`# ${title}`, ''];
  out.push(
    `Runs: ${results.length}, passed: ${results.filter(r => r.ok).length}.`,
    '',
  );
  out.push(
    '| run | mode | started | duration | faults ok | checks ok | result |',
    '|---|---|---|---|---|---|---|',
  );
  results.forEach((r, i) =>
    out.push(
      `| ${i + 1} | ${r.mode} | ${r.startedAt} | ${Math.round(r.durationMs / 1000)} s | ${r.faults.filter(f => f.ok).length}/${r.faults.length} | ${r.checks.filter(c => c.ok).length}/${r.checks.length} | ${r.ok ? 'PASS' : 'FAIL'} |`,
    ),
  );
  results.forEach((r, i) => {
    out.push('', `## Run ${i + 1} (${r.mode}, ${r.ok ? 'PASS' : 'FAIL'})`, '');
    out.push(
      '| fault | injected | injection ms | recovery ms | visible as | ok |',
      '|---|---|---|---|---|---|',
    );
    for (const f of r.faults)
      out.push(
        `| ${f.name} | ${f.what} | ${f.injectMs} | ${f.recoveryMs ?? '-'} | ${f.evidence.join('<br>').replace(/\|/g, '\\|') || '-'} | ${f.ok ? 'yes' : `NO: ${(f.error ?? '').replace(/\|/g, '\\|')}`} |`,
      );
    out.push('', '| check | ok | detail |', '|---|---|---|');
    for (const c of r.checks)
      out.push(
        `| ${c.name} | ${c.ok ? 'yes' : 'NO'} | ${c.detail.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
      );
    out.push(
      '',
      `Memory (RSS): ${Object.entries(r.rss)
        .map(([n, v]) => `${n} max ${v.maxMiB} MiB / last ${v.lastMiB} MiB`)
        .join(', ')}.`,
    );
    out.push(
      '',
      `Stats: ${Object.entries(r.stats)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
    );
  });
  out.push(
    '',
    'Recovery time = from the end of the injection until every running process answers /readyz 200 and a freshly sent eligible trade is visible in TICK:UPD (for the reconcile fault: until a reconcile succeeded).',
    '',
  );
  return out.join('\n');
}
