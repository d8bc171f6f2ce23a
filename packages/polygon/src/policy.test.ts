import {
  BACKEND_EXCLUDED_IDS,
  NEUTRAL_CONDITION_IDS,
  TRADE_CONDITIONS,
} from './conditions';
import {
  BACKEND_POLICY,
  checkConditions,
  parseConditionPolicy,
  SIP_LAST_POLICY,
} from './policy';

// The reference table (docs/polygon.md#conditions), written out independently of
// conditions.ts: id → consolidated "Last".
const REFERENCE_LAST: Record<number, boolean> = {
  1: true,
  2: false,
  3: true,
  4: true,
  5: false,
  6: true,
  7: false,
  8: true,
  9: true,
  10: false,
  11: true,
  12: false,
  13: false,
  14: true,
  15: false,
  16: false,
  17: true,
  18: true,
  19: true,
  20: false,
  21: false,
  22: false,
  23: true,
  24: true,
  25: true,
  27: true,
  28: true,
  29: false,
  30: true,
  31: true,
  32: false,
  33: false,
  34: true,
  35: true,
  36: true,
  37: false,
  38: true,
  41: true,
  52: false,
  53: false,
  55: true,
};
const SIP_EXCLUDED = [
  2, 5, 7, 10, 12, 13, 15, 16, 20, 21, 22, 29, 32, 33, 37, 52, 53,
];
const BACKEND = [2, 7, 13, 20, 21, 37, 52, 53];
const NEUTRAL = [57, 58, 59, 60, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71];

describe('condition table', () => {
  it('matches the reference table row for row', () => {
    const table = Object.fromEntries(TRADE_CONDITIONS.map(c => [c.id, c.last]));
    expect(table).toEqual(REFERENCE_LAST);
    expect(NEUTRAL_CONDITION_IDS).toEqual([0, ...NEUTRAL]);
    expect(BACKEND_EXCLUDED_IDS).toEqual(BACKEND);
  });
});

describe('sip-last policy', () => {
  it.each(
    Object.entries(REFERENCE_LAST).map(([id, last]) => [Number(id), last]),
  )('condition %i alone → eligible = %s', (id, last) => {
    const r = checkConditions(SIP_LAST_POLICY, [id]);
    expect(r.excludedBy === -1).toBe(last);
    expect(r.unknown).toBe(0);
  });
  it('excludes exactly the published non-last list', () => {
    expect(SIP_LAST_POLICY.excluded).toEqual(SIP_EXCLUDED);
  });
  it.each(NEUTRAL)('indicator %i has no rule and is neutral', id => {
    expect(checkConditions(SIP_LAST_POLICY, [id])).toEqual({
      excludedBy: -1,
      unknown: 0,
    });
    expect(checkConditions(SIP_LAST_POLICY, [id, 12]).excludedBy).toBe(12);
  });
  it('treats a missing or empty list, and id 0, as a regular sale', () => {
    expect(checkConditions(SIP_LAST_POLICY, undefined).excludedBy).toBe(-1);
    expect(checkConditions(SIP_LAST_POLICY, []).excludedBy).toBe(-1);
    expect(checkConditions(SIP_LAST_POLICY, [0]).excludedBy).toBe(-1);
  });
  it('requires every condition to allow the trade', () => {
    expect(checkConditions(SIP_LAST_POLICY, [14, 41]).excludedBy).toBe(-1);
    expect(checkConditions(SIP_LAST_POLICY, [14, 37]).excludedBy).toBe(37);
    expect(checkConditions(SIP_LAST_POLICY, [12, 60]).excludedBy).toBe(12);
  });
  it('allows and counts ids outside the table', () => {
    for (const id of [26, 39, 40, 42, 51, 54, 56, 61, 72, 200, 1023, 5000]) {
      expect(checkConditions(SIP_LAST_POLICY, [id])).toEqual({
        excludedBy: -1,
        unknown: 1,
      });
    }
  });
});

describe('backend policy', () => {
  it.each(Object.keys(REFERENCE_LAST).map(Number))('condition %i', id => {
    const r = checkConditions(BACKEND_POLICY, [id]);
    expect(r.excludedBy === -1).toBe(!BACKEND.includes(id));
  });
  it.each(NEUTRAL)('indicator %i is neutral', id => {
    expect(checkConditions(BACKEND_POLICY, [id]).excludedBy).toBe(-1);
  });
  it('lets Form T (12) and the other SIP-only exclusions through, like the Go backend', () => {
    for (const id of [5, 10, 12, 15, 16, 22, 29, 32, 33]) {
      expect(checkConditions(BACKEND_POLICY, [id]).excludedBy).toBe(-1);
    }
    expect(BACKEND_POLICY.excluded).toEqual(BACKEND);
  });
});

describe('parseConditionPolicy', () => {
  it('accepts the named policies in any case', () => {
    expect(parseConditionPolicy('backend')).toBe(BACKEND_POLICY);
    expect(parseConditionPolicy(' SIP-LAST ')).toBe(SIP_LAST_POLICY);
  });
  it('accepts an explicit list of excluded ids', () => {
    const p = parseConditionPolicy('37, 12,2,37');
    expect(p.name).toBe('custom');
    expect(p.excluded).toEqual([2, 12, 37]);
    expect(checkConditions(p, [7]).excludedBy).toBe(-1);
    expect(checkConditions(p, [12]).excludedBy).toBe(12);
  });
  it.each(['', 'sip', '1,,2', '1;2', '-1', '2,x', '99999'])('rejects %p', v => {
    expect(() => parseConditionPolicy(v)).toThrow(/condition/);
  });
});
