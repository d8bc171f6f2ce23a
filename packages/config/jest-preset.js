// One jest setup for every workspace: ts-jest in transpile-only mode (tsc
// type-checks in `build`/`typecheck`), NodeNext `.js` import suffixes mapped
// back to the TypeScript sources, unit tests beside the code and integration
// tests under test/. cookie 2 (pulled in by fastify's inject) is ESM-only,
// which Node 20 loads natively but jest's module runtime does not: transpile it.
// The test:unit and test:int tasks run one kind, told apart by file name:
// integration tests (real Redis / PostgreSQL / processes) are *.int.test.ts.
const TEST_MATCH = {
  all: ['**/*.test.ts'],
  unit: ['**/*.test.ts', '!**/*.int.test.ts'],
  int: ['**/*.int.test.ts'],
};
if (!TEST_MATCH[process.env.TICKPULSE_TEST_KIND ?? 'all'])
  throw new Error(
    `TICKPULSE_TEST_KIND must be unit or int, not ${process.env.TICKPULSE_TEST_KIND}`,
  );

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testMatch: TEST_MATCH[process.env.TICKPULSE_TEST_KIND ?? 'all'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
    '/node_modules/cookie/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
  testTimeout: 30000,
  // No forceExit: a suite closes what it opens. A leaked handle fails the run
  // (after a grace period) instead of hanging it.
  globalTeardown: require.resolve('./jest-exit-guard.js'),
  // CI's full test run (unit and integration tests) measures coverage
  // (TICKPULSE_COVERAGE=1) against each workspace's coverageThreshold, over
  // every source file, loaded by a test or not: a module no test imports
  // counts as 0 %. v8 instruments nothing, so the run stays as fast as
  // without it. Code that only runs in a child process (an app's main.ts,
  // which the process tests start) is not seen, so main.ts files are left
  // out. .ci/coverage-summary.js prints the one-line result.
  collectCoverage: process.env.TICKPULSE_COVERAGE === '1',
  collectCoverageFrom: [
    'src/**/*.ts',
    '!src/**/*.test.ts',
    '!src/**/*.d.ts',
    '!src/main.ts',
  ],
  coverageProvider: 'v8',
  coverageReporters: ['json-summary'],
  coverageDirectory: '<rootDir>/coverage',
};
