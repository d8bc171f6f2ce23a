import { strategyClass } from './strategy-class';

describe('strategyClass', () => {
  it.each([
    [{ global: true, universeSize: 0 }, 'global'],
    [{ global: false, universeSize: 1 }, 'small'],
    [{ global: false, universeSize: 100 }, 'small'],
    [{ global: false, universeSize: 101 }, 'medium'],
    [{ global: false, universeSize: 1000 }, 'medium'],
    [{ global: false, universeSize: 1001 }, 'large'],
  ] as const)('classifies %j as %s', (s, expected) => {
    expect(strategyClass(s)).toBe(expected);
  });
});
