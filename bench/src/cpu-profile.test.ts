import {
  profileTable,
  summarizeProfile,
  type CpuProfile,
} from './cpu-profile.js';
import { REPO_ROOT } from './results.js';

const frame = (functionName: string, url: string, lineNumber: number) => ({
  functionName,
  url,
  lineNumber,
});

// root → main → parse (twice: two nodes of the same function, from two callers).
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', '', -1) },
    { id: 2, callFrame: frame('(idle)', '', -1) },
    {
      id: 3,
      callFrame: frame(
        'main',
        `file://${REPO_ROOT}/apps/ingest/dist/main.js`,
        9,
      ),
    },
    {
      id: 4,
      callFrame: frame(
        'parse',
        `file://${REPO_ROOT}/packages/polygon/dist/parser.js`,
        41,
      ),
    },
    {
      id: 5,
      callFrame: frame(
        'parse',
        `file://${REPO_ROOT}/packages/polygon/dist/parser.js`,
        41,
      ),
    },
    { id: 6, callFrame: frame('', '/x/node_modules/ws/lib/receiver.js', 0) },
  ],
  startTime: 1000,
  endTime: 2100,
  // Samples at 1100, 1300, 1400, 1600, 1900, 2000; each lasts until the next (the last until endTime).
  samples: [2, 4, 3, 5, 6, 2],
  timeDeltas: [100, 200, 100, 200, 300, 100],
};

describe('cpu profile summary', () => {
  it('aggregates self time by function and location', () => {
    const rows = summarizeProfile(profile);
    expect(rows.map(r => [r.name, r.location, r.selfMs])).toEqual([
      ['parse', 'packages/polygon/dist/parser.js:42', 0.4],
      ['(idle)', '', 0.3],
      ['main', 'apps/ingest/dist/main.js:10', 0.2],
      ['(anonymous)', 'node_modules/ws/lib/receiver.js:1', 0.1],
    ]);
    expect(rows[0]!.share).toBeCloseTo(0.4);
    expect(rows[0]!.busyShare).toBeCloseTo(0.4 / 0.7);
    expect(Number.isNaN(rows[1]!.busyShare)).toBe(true);
  });

  it('falls back to hit counts without samples', () => {
    const rows = summarizeProfile({
      nodes: [
        { id: 1, callFrame: frame('a', '', 0), hitCount: 3 },
        { id: 2, callFrame: frame('b', '', 0), hitCount: 1 },
      ],
      startTime: 0,
      endTime: 4000,
    });
    expect(rows.map(r => [r.name, r.selfMs])).toEqual([
      ['a', 3],
      ['b', 1],
    ]);
  });

  it('prints the top rows as a markdown table', () => {
    const table = profileTable(summarizeProfile(profile), 2).split('\n');
    expect(table).toHaveLength(4);
    expect(table[0]).toBe(
      '| # | self ms | of total | of busy | function | location |',
    );
    expect(table[2]).toBe(
      '| 1 | 0.4 | 40.0 % | 57.1 % | `parse` | `packages/polygon/dist/parser.js:42` |',
    );
    expect(table[3]).toBe('| 2 | 0.3 | 30.0 % | – | `(idle)` |  |');
  });
});
