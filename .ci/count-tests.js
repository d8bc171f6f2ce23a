// Sums every workspace's jest JSON results into the one line CI reads. A
// workspace with a test script but no results file crashed before reporting:
// it counts as a failure rather than vanishing from the total.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
let passed = 0;
let failed = 0;
for (const group of ['apps', 'packages']) {
  const dir = path.join(root, group);
  if (!fs.existsSync(dir)) continue;
  for (const name of fs.readdirSync(dir)) {
    const pkgDir = path.join(dir, name);
    const pkgFile = path.join(pkgDir, 'package.json');
    if (!fs.existsSync(pkgFile)) continue;
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
    if (!pkg.scripts || !pkg.scripts.test) continue;
    const resultFile = path.join(pkgDir, '.jest-results.json');
    if (!fs.existsSync(resultFile)) {
      console.log(
        `${group}/${name}: no test results (the run crashed or did not start)`,
      );
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
      `${group}/${name}: ${r.numPassedTests} passed, ${r.numFailedTests + brokenSuites} failed`,
    );
  }
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
