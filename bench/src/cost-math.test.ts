import {
  evaluateTargets,
  ratioSummaries,
  roundRatios,
  usPerTrade,
  variantSummaries,
  type CostSample,
} from './cost-math.js';

const sample = (
  round: number,
  variant: string,
  node: string,
  seconds: number,
  cpuSeconds: Record<string, number>,
): CostSample => ({
  round,
  variant,
  kind: variant.startsWith('bare') ? 'bare' : 'tickpulse',
  node,
  trades: 1_000_000,
  seconds,
  cpuSeconds,
});

describe('cost math', () => {
  // 1 s of CPU over 1 M trades = 1 µs/trade.
  const samples = [
    sample(1, 'bare-node20', 'v20', 4, { bare: 2 }),
    sample(1, 'standalone-node20', 'v20', 5, {
      ingest: 2.4,
      'tick-writer': 0.2,
      redis: 0.4,
    }),
    sample(1, 'bare-node24', 'v24', 4, { bare: 1 }),
    sample(1, 'standalone-node24', 'v24', 4.2, {
      ingest: 0.9,
      'tick-writer': 0.3,
      redis: 0.3,
    }),
    sample(2, 'bare-node20', 'v20', 4, { bare: 3 }),
    sample(2, 'standalone-node20', 'v20', 4, {
      ingest: 3,
      'tick-writer': 0.1,
      redis: 0.5,
    }),
    // No bare client in round 3: not comparable, left out.
    sample(3, 'standalone-node20', 'v20', 4, {
      ingest: 9,
      'tick-writer': 9,
      redis: 9,
    }),
  ];

  it('computes CPU per trade in µs', () => {
    expect(usPerTrade(samples[0]!, 'bare')).toBeCloseTo(2);
    expect(Number.isNaN(usPerTrade(samples[0]!, 'ingest'))).toBe(true);
  });

  it('compares every run with the bare client of the same round and Node version', () => {
    const r = roundRatios(samples);
    expect(r.map(x => [x.round, x.variant])).toEqual([
      [1, 'standalone-node20'],
      [1, 'standalone-node24'],
      [2, 'standalone-node20'],
    ]);
    expect(r[0]!.ingestVsBare).toBeCloseTo(1.2);
    expect(r[0]!.pipelineVsBare).toBeCloseTo(1.5);
    expect(r[0]!.tickWriterUsPerTrade).toBeCloseTo(0.2);
    expect(r[0]!.e2eRateVsBare).toBeCloseTo(0.8);
    // Node 24 is judged against the Node 24 bare client (1 µs), not Node 20's.
    expect(r[1]!.ingestVsBare).toBeCloseTo(0.9);
    expect(r[2]!.ingestVsBare).toBeCloseTo(1);
    expect(r[2]!.e2eRateVsBare).toBeCloseTo(1);
  });

  it('summarises per variant and judges the targets on medians', () => {
    const v = variantSummaries(samples);
    expect(v.map(x => x.variant)).toEqual([
      'bare-node20',
      'standalone-node20',
      'bare-node24',
      'standalone-node24',
    ]);
    expect(v[1]!.rounds).toBe(3);
    expect(v[1]!.usPerTrade.ingest!.median).toBeCloseTo(3);
    expect(v[0]!.tradesPerSec.median).toBe(250_000);

    const s = ratioSummaries(roundRatios(samples));
    expect(s[0]!.ingestVsBare.median).toBeCloseTo(1.1);
    expect(s[0]!.ingestVsBare.min).toBeCloseTo(1);
    expect(s[0]!.ingestVsBare.max).toBeCloseTo(1.2);
    const t = evaluateTargets(s);
    const met = (variant: string, short: string) =>
      t.find(x => x.variant === variant && x.short === short)!.met;
    expect(met('standalone-node20', 'ingest/bare')).toBe(false);
    expect(met('standalone-node20', 'tick-writer µs')).toBe(true);
    expect(met('standalone-node20', 'pipeline/bare')).toBe(true);
    expect(met('standalone-node20', 'e2e rate/bare')).toBe(false);
    expect(met('standalone-node24', 'ingest/bare')).toBe(true);
    expect(met('standalone-node24', 'tick-writer µs')).toBe(false);
    expect(met('standalone-node24', 'e2e rate/bare')).toBe(true);
  });

  it('never meets a target with a missing value', () => {
    const t = evaluateTargets(
      ratioSummaries([
        {
          round: 1,
          variant: 'x',
          ingestVsBare: NaN,
          pipelineVsBare: NaN,
          tickWriterUsPerTrade: NaN,
          e2eRateVsBare: NaN,
        },
      ]),
    );
    expect(t.every(x => !x.met)).toBe(true);
  });
});
