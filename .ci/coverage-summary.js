// Prints one line with each workspace's coverage over all of src/ across the
// full test run (lines / branches),
// read from the json-summary files a TICKPULSE_COVERAGE=1 jest run writes.
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const parts = [];
for (const group of ['apps', 'packages', '.']) {
  const dirs =
    group === '.' ? ['bench'] : readdirSync(join(root, group)).sort();
  for (const dir of dirs) {
    const file = join(root, group, dir, 'coverage', 'coverage-summary.json');
    if (!existsSync(file)) continue;
    const { total } = JSON.parse(readFileSync(file, 'utf8'));
    parts.push(
      `${group === '.' ? '' : `${group}/`}${dir} ${total.lines.pct}%/${total.branches.pct}%`,
    );
  }
}
console.log(
  parts.length
    ? `coverage (all src, full suite; lines/branches): ${parts.join(', ')}`
    : 'coverage: no summaries found',
);
