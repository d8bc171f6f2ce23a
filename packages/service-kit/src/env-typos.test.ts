import { editDistance, misspelledVariables } from './env-typos';

describe('editDistance', () => {
  it.each([
    ['REDIS_URL', 'REDIS_URL', 0],
    ['REDIS_ULR', 'REDIS_URL', 1],
    ['TICKS_MAX_PENDING_JOB', 'TICKS_MAX_PENDING_JOBS', 1],
    ['REDIS_URI', 'REDIS_URL', 1],
    ['LOG_LEVLE', 'LOG_LEVEL', 1],
    ['', 'ABC', 3],
    ['ABC', 'CBA', 2],
  ])('%s → %s is %i', (a, b, n) => {
    expect(editDistance(a, b)).toBe(n);
    expect(editDistance(b, a)).toBe(n);
  });
});

describe('misspelledVariables', () => {
  const known = [
    'REDIS_URL',
    'REDIS_KEY_PREFIX',
    'TICKS_MAX_PENDING_JOBS',
    'HTTP_PORT',
    'LOG_LEVEL',
  ];

  it('names a variable one edit from a known one, with the known name', () => {
    expect(
      misspelledVariables(
        { REDIS_ULR: 'redis://x', TICKS_MAX_PENDING_JOB: '8', REDIS_URL: 'a' },
        known,
      ),
    ).toEqual([
      { name: 'REDIS_ULR', suggestion: 'REDIS_URL' },
      { name: 'TICKS_MAX_PENDING_JOB', suggestion: 'TICKS_MAX_PENDING_JOBS' },
    ]);
  });

  it('leaves known names, far names and the rest of the environment alone', () => {
    expect(
      misspelledVariables(
        {
          REDIS_URL: 'redis://x',
          REDIS_SERVER_BIN: '/usr/bin/redis-server',
          HTTPS_PORT: '443',
          HTTP_PROXY: 'http://proxy',
          HOME: '/root',
          PATH: '/bin',
          LOGLEVEL: 'debug',
          TICKS_RETENTION: '3',
        },
        known,
      ),
    ).toEqual([]);
  });

  it('allows two edits only for long names', () => {
    expect(
      misspelledVariables({ TICKS_MAX_PENDNG_JOB: '1', REDIS_UR_: '1' }, known),
    ).toEqual([
      { name: 'REDIS_UR_', suggestion: 'REDIS_URL' },
      { name: 'TICKS_MAX_PENDNG_JOB', suggestion: 'TICKS_MAX_PENDING_JOBS' },
    ]);
    expect(misspelledVariables({ REDIS_U: '1' }, known)).toEqual([]);
  });
});
