import { BACKEND_POLICY, DEFAULT_TIMESTAMP_BOUNDS } from '@tickpulse/polygon';
import { newestEligible, planFromSnapshot } from './backfill';
import { parseRestJson } from './rest-json';

const NOW = 1_800_000_100_000;
const ctx = {
  policy: BACKEND_POLICY,
  bounds: DEFAULT_TIMESTAMP_BOUNDS,
  nowMs: NOW,
};
const GAP_START = 1_800_000_000_000;

describe('backfill planning', () => {
  it('turns eligible last prints into ticks, asks for lookups of ineligible ones in the gap, ignores older ineligible ones', () => {
    const body = parseRestJson(`{"status":"OK","tickers":[
      {"ticker":"AAA","lastTrade":{"t":1800000000500999999,"x":4}},
      {"ticker":"BBB","lastTrade":{"c":[37],"t":1800000000600000000}},
      {"ticker":"CCC","lastTrade":{"c":[14,41],"t":1799999999999999999}},
      {"ticker":"DDD","lastTrade":{"c":[12],"t":1800000000000000000}},
      {"ticker":"EEE"},
      {"ticker":"bad ticker","lastTrade":{"t":1800000000500000000}},
      {"ticker":"FFF","lastTrade":{"t":1700}},
      {"ticker":"GGG","lastTrade":{"t":1900000000000000000}},
      {"ticker":"HHH","lastTrade":{"c":"37","t":1800000000500000000}}
    ]}`) as Record<string, unknown>;
    const plan = planFromSnapshot(body, GAP_START, ctx);
    // CCC's eligible last print is older than the gap start, but it may have
    // been reported late, during the gap: added too (ZADD GT makes a repeat harmless).
    expect([...plan.ticks]).toEqual([
      ['AAA', 1_800_000_000_500],
      ['CCC', 1_799_999_999_999],
      ['DDD', 1_800_000_000_000],
    ]);
    expect(plan.inGap).toBe(2);
    expect(plan.lookups).toEqual([
      { ticker: 'BBB', lastNs: '1800000000600000000' },
    ]);
    // bad ticker, a ms value, a future time, string conditions.
    expect(plan.invalid).toBe(4);
  });

  it('counts a body without a ticker list as invalid', () => {
    expect(planFromSnapshot({ status: 'OK' }, GAP_START, ctx)).toMatchObject({
      invalid: 1,
      lookups: [],
    });
  });

  it('finds the newest eligible row of a page, exactly to the ms', () => {
    const rows = (
      parseRestJson(`{"results":[
        {"conditions":[37],"sip_timestamp":1800000000900000000},
        {"conditions":[14],"sip_timestamp":1800000000800999999},
        {"sip_timestamp":1800000000700000000},
        {"sip_timestamp":"x"}
      ]}`) as { results: unknown }
    ).results;
    expect(newestEligible(rows, ctx)).toEqual({
      ms: 1_800_000_000_800,
      invalid: 1,
    });
    expect(
      newestEligible(
        [{ conditions: [37], sip_timestamp: '1800000000900000000' }],
        ctx,
      ),
    ).toEqual({
      ms: undefined,
      invalid: 0,
    });
    expect(newestEligible('nope', ctx)).toEqual({ ms: undefined, invalid: 1 });
  });
});
