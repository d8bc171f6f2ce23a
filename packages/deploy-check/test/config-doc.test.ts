import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../src/tools.js';

// docs/configuration.md is rendered from the apps' ConfigSchemas (their
// built dist/, like env-vars.test.ts): a variable added, renamed or
// re-described in a schema without regenerating the page fails here.

interface ConfigDoc {
  renderConfigDoc(): string;
  OUT: string;
  REGENERATE: string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const doc = require(
  path.join(repoRoot, 'packages/deploy-check/scripts/config-doc.js'),
) as ConfigDoc;

/** The first line where two texts differ, for a message that points at it. */
function firstDifference(committed: string, rendered: string): string {
  const a = committed.split('\n');
  const b = rendered.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if (a[i] !== b[i])
      return `line ${i + 1}:\n  committed: ${a[i] ?? '(end of file)'}\n  rendered:  ${b[i] ?? '(end of file)'}`;
  return '(none)';
}

describe('docs/configuration.md', () => {
  const rendered = doc.renderConfigDoc();

  it('is what the ConfigSchemas render', () => {
    const committed = readFileSync(doc.OUT, 'utf8');
    if (committed !== rendered)
      throw new Error(
        `docs/configuration.md differs from the ConfigSchemas; run \`${doc.REGENERATE}\` and commit it. First difference at ${firstDifference(committed, rendered)}`,
      );
  });

  it('keeps the headings other documents link to', () => {
    for (const heading of [
      '## Redis connection (every app and the CLI)',
      '## ingest',
      '## tick-writer',
      '## universe-sync',
      '## throttle-shadow',
      '## polygon-sim',
    ])
      expect(rendered.split('\n')).toContain(heading);
  });

  it('lists every deprecated name beside the name that replaced it', () => {
    for (const [old, current] of [
      ['SUMMARY_INTERVAL_MS', 'SUMMARY_INTERVAL'],
      ['TICK_WRITER_SUMMARY_INTERVAL', 'SUMMARY_INTERVAL'],
      ['TICK_WRITER_CONCURRENCY', 'WORKER_CONCURRENCY'],
      ['API_BODY_LIMIT', 'HTTP_BODY_LIMIT_BYTES'],
    ])
      expect(rendered).toContain(`| \`${old}\` | \`${current}\` |`);
  });
});
