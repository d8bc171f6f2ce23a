import type { StrategyRow } from '@tickpulse/contracts';
import { fingerprint } from './fingerprint';
import {
  digestCandidates,
  fullCheckTrust,
  planBatch,
  probesOf,
  settlePlan,
  storedStates,
  trustedIds,
  writeSetOf,
  type Plan,
  type StoredState,
} from './reconcile-plan';

const row = (
  id: number,
  universe: unknown,
  alertactive = true,
): { row: StrategyRow; digest: string } => ({
  row: { strategyid: id, alertactive, alert_universe_full: universe },
  digest: `v${id}`,
});
const state = (
  id: number,
  count: number,
  storedFp: string | null = null,
): StoredState => ({ id, count, storedFp });
const plan = (
  states: StoredState[],
  rows: ReturnType<typeof row>[],
  trusted: number[] = [],
): Plan =>
  planBatch({
    states,
    trusted: new Set(trusted),
    rows: new Map(rows.map(r => [r.row.strategyid, r])),
  });
const all = () => true;

describe('fingerprint', () => {
  it('pins the stored format: scheme version, row version, size', () => {
    expect(fingerprint('123/(0,1)/40', 7)).toBe('3:123/(0,1)/40:7');
  });
});

describe('fullCheckTrust', () => {
  const distrusted = (every: number, run: number) =>
    [0, 1, 2, 3, 4, 5, 6, 7].filter(id => !fullCheckTrust(every, run)(id));

  it('distrusts one id in every, a different slice each run, all within every runs', () => {
    expect([0, 1, 2, 3].map(run => distrusted(4, run))).toEqual([
      [0, 4],
      [1, 5],
      [2, 6],
      [3, 7],
    ]);
    expect(distrusted(4, 5)).toEqual([1, 5]);
  });

  it('trusts nothing at 1 and everything at 0', () => {
    expect(distrusted(1, 3)).toHaveLength(8);
    expect(distrusted(0, 3)).toEqual([]);
  });
});

describe('storedStates', () => {
  it('pairs each id with its SCARD and stored fingerprint', () => {
    expect(storedStates([1, 2], ['3:a:1', null], [1, 0])).toEqual([
      { id: 1, count: 1, storedFp: '3:a:1' },
      { id: 2, count: 0, storedFp: null },
    ]);
  });

  it('rejects a read that does not cover the batch', () => {
    expect(() => storedStates([1, 2], [null], [0, 0])).toThrow(
      /1 fingerprints and 2 sizes for 2 strategies/,
    );
  });
});

describe('digestCandidates', () => {
  it('asks only for strategies with a stored fingerprint this run may trust', () => {
    const states = [state(1, 2, 'fp'), state(2, 2, null), state(3, 2, 'fp')];
    expect(digestCandidates(states, id => id !== 3)).toEqual([1]);
  });
});

describe('trustedIds', () => {
  const digest = (v: string, alertactive = true) => ({
    alertactive,
    digest: v,
  });

  it('trusts a set whose fingerprint names the current row version and size', () => {
    const states = [state(1, 2, fingerprint('v1', 2))];
    expect(trustedIds(states, new Map([[1, digest('v1')]]), all)).toEqual(
      new Set([1]),
    );
  });

  it('does not trust a set whose size or row version moved, an inactive row, or a full-check id', () => {
    const states = [
      state(1, 3, fingerprint('v1', 2)),
      state(2, 2, fingerprint('v2', 2)),
      state(3, 2, fingerprint('v3', 2)),
      state(4, 2, fingerprint('v4', 2)),
    ];
    const digests = new Map([
      [1, digest('v1')],
      [2, digest('v2-new')],
      [3, digest('v3', false)],
      [4, digest('v4')],
    ]);
    expect(trustedIds(states, digests, id => id !== 4)).toEqual(new Set());
  });
});

describe('planBatch', () => {
  it('creates a missing set and replaces one of another size', () => {
    const p = plan(
      [state(1, 0), state(2, 1, 'old')],
      [row(1, ['AAPL', 'MSFT']), row(2, ['AAPL', 'MSFT'])],
    );
    expect(p.items).toEqual([
      {
        kind: 'set',
        id: 1,
        outcome: 'created',
        tickers: ['AAPL', 'MSFT'],
        storedFp: null,
        fp: fingerprint('v1', 2),
      },
      {
        kind: 'set',
        id: 2,
        outcome: 'replaced',
        tickers: ['AAPL', 'MSFT'],
        storedFp: 'old',
        fp: fingerprint('v2', 2),
      },
    ]);
  });

  it('leaves a set of the right size to the member comparison', () => {
    const p = plan([state(1, 1)], [row(1, ['AAPL'])]);
    expect(p.items).toEqual([
      expect.objectContaining({ kind: 'probe', id: 1, tickers: ['AAPL'] }),
    ]);
    expect(probesOf(p).map(i => i.id)).toEqual([1]);
  });

  it('removes the set of a deleted strategy with its :LAST and drops its fingerprint', () => {
    const p = plan([state(1, 2, 'old')], []);
    expect(p.items).toEqual([
      {
        kind: 'none',
        id: 1,
        outcome: 'removed',
        deleted: true,
        storedFp: 'old',
        fp: null,
      },
    ]);
  });

  it('keeps a size-0 fingerprint for an active global strategy, none for an inactive one', () => {
    const p = plan(
      [state(1, 0), state(2, 3)],
      [row(1, null), row(2, ['AAPL'], false)],
    );
    expect(p.items).toEqual([
      {
        kind: 'none',
        id: 1,
        outcome: 'absent',
        deleted: false,
        storedFp: null,
        fp: fingerprint('v1', 0),
      },
      {
        kind: 'none',
        id: 2,
        outcome: 'removed',
        deleted: false,
        storedFp: null,
        fp: null,
      },
    ]);
  });

  it('reads nothing for trusted strategies: unchanged with members, absent without', () => {
    const p = plan([state(1, 4, 'fp'), state(2, 0, 'fp')], [], [1, 2]);
    expect(p.items).toEqual([
      { kind: 'trusted', id: 1, outcome: 'unchanged' },
      { kind: 'trusted', id: 2, outcome: 'absent' },
    ]);
    expect(p.readRows).toEqual([]);
  });

  it('reports malformed rows and counts elements that are not tickers', () => {
    const p = plan(
      [state(1, 0), state(2, 0)],
      [row(1, [['AAPL']]), row(2, ['AAPL', 'not a ticker!'])],
    );
    expect(p.readRows).toEqual([
      { id: 1, problem: expect.any(String) },
      { id: 2, problem: null },
    ]);
    expect(p.invalid).toBe(1);
    expect(p.items[0]).toMatchObject({ kind: 'none', outcome: 'absent' });
  });
});

describe('settlePlan', () => {
  it('keeps a probed set whose members match and replaces one that differs', () => {
    const p = plan(
      [state(1, 1), state(2, 1)],
      [row(1, ['AAPL']), row(2, ['MSFT'])],
    );
    const settled = settlePlan(p, probe => probe.id === 1);
    expect(settled.items.map(i => [i.id, i.kind, i.outcome])).toEqual([
      [1, 'set', 'unchanged'],
      [2, 'set', 'replaced'],
    ]);
  });
});

describe('writeSetOf', () => {
  it('writes changes in batch order and only fingerprints that differ', () => {
    const p = plan(
      [
        state(1, 0),
        state(2, 1, fingerprint('v2', 1)),
        state(3, 2, 'old'),
        state(4, 0, 'old'),
        state(5, 4, 'fp'),
      ],
      [row(1, ['AAPL']), row(2, ['MSFT']), row(4, ['A'], false)],
      [5],
    );
    const writes = writeSetOf(settlePlan(p, () => true));
    expect(writes).toEqual({
      changes: [
        { op: 'set', id: 1, replace: false, tickers: ['AAPL'] },
        { op: 'remove', id: 3, deleted: true },
      ],
      fpSet: ['1', fingerprint('v1', 1)],
      fpDel: ['3', '4'],
    });
  });

  it('writes a replaced set over the old one', () => {
    const p = plan([state(1, 1)], [row(1, ['AAPL'])]);
    expect(writeSetOf(settlePlan(p, () => false)).changes).toEqual([
      { op: 'set', id: 1, replace: true, tickers: ['AAPL'] },
    ]);
  });
});
