// Sums every workspace's jest JSON results into the one line CI reads. A
// workspace with a test script but no results file crashed before reporting:
// it counts as a failure rather than vanishing from the total.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const { workspaces } = JSON.parse(
  fs.readFileSync(path.join(root, 'package.json'), 'utf8'),
);
const workspaceDirs = workspaces.flatMap(pattern => {
  if (!pattern.endsWith('/*')) return [pattern];
  const parent = pattern.slice(0, -2);
  return fs
    .readdirSync(path.join(root, parent))
    .map(name => path.join(parent, name));
});

let passed = 0;
let failed = 0;
for (const dir of workspaceDirs) {
  const pkgFile = path.join(root, dir, 'package.json');
  if (!fs.existsSync(pkgFile)) continue;
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  if (!pkg.scripts || !pkg.scripts.test) continue;
  const resultFile = path.join(root, dir, '.jest-results.json');
  if (!fs.existsSync(resultFile)) {
    console.log(`${dir}: no test results (the run crashed or did not start)`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  // Suites that fail to load report no tests; count each as a failure.
  const brokenSuites = r.testResults.filter(
    s => s.status === 'failed' && s.assertionResults.length === 0,
  ).length;
  passed += r.numPassedTests;
  failed += r.numFailedTests + brokenSuites;
  console.log(
    `${dir}: ${r.numPassedTests} passed, ${r.numFailedTests + brokenSuites} failed`,
  );
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
