// Coverage floor (TICKPULSE_COVERAGE=1, all of src/ across the full suite):
// a few points under what CI measured on 2026-12-07.
module.exports = {
  preset: '@tickpulse/config',
  coverageThreshold: { global: { lines: 97, branches: 97 } },
};
