// Coverage floor (TICKPULSE_COVERAGE=1): a few points under what the unit tests reach.
module.exports = {
  preset: '@tickpulse/config',
  coverageThreshold: { global: { lines: 75, branches: 89 } },
};
