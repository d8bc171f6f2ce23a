import {
  evaluateTargets,
  ratioSummaries,
  roundRatios,
  usPerTrade,
  variantSummaries,
  type CostSample,
  type Pace,
} from './cost-math.js';

const sample = (
  round: number,
  variant: string,
  node: string,
  seconds: number,
  cpuSeconds: Record<string, number>,
  pace: Pace = 'full',
): CostSample => ({
  round,
  variant,
  kind: variant.startsWith('bare')
    ? 'bare'
    : variant.startsWith('frames')
      ? 'frames'
      : 'tickpulse',
  pace,
  node,
  trades: 1_000_000,
  seconds,
  cpuSeconds,
});

describe('cost math', () => {
  // 1 s of CPU over 1 M trades = 1 µs/trade.
  const samples = [
    sample(1, 'bare-node20', 'v20', 4, { bare: 2 }),
    sample(1, 'frames-node20', 'v20', 3, { frames: 0.5 }),
    sample(1, 'standalone-node20', 'v20', 5, {
      ingest: 1.2,
      'tick-writer': 0.2,
      redis: 0.4,
    }),
    sample(1, 'bare-node24', 'v24', 4, { bare: 1 }),
    sample(1, 'standalone-node24', 'v24', 4.2, {
      ingest: 0.6,
      'tick-writer': 0.3,
      redis: 0.3,
    }),
    sample(2, 'bare-node20', 'v20', 4, { bare: 3 }),
    sample(2, 'frames-node20', 'v20', 3, { frames: 0.4 }),
    sample(2, 'standalone-node20', 'v20', 4, {
      ingest: 1.5,
      'tick-writer': 0.1,
      redis: 0.5,
    }),
    // Paced runs are compared with the paced bare client only.
    sample(2, 'bare-node20-paced', 'v20', 8, { bare: 4 }, 'paced'),
    sample(
      2,
      'standalone-node20-paced',
      'v20',
      8,
      { ingest: 2, 'tick-writer': 0.2, redis: 0.2 },
      'paced',
    ),
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

  it('compares every run with the bare client and floor of the same round, Node version and pace', () => {
    const r = roundRatios(samples);
    expect(r.map(x => [x.round, x.variant])).toEqual([
      [1, 'standalone-node20'],
      [1, 'standalone-node24'],
      [2, 'standalone-node20'],
      [2, 'standalone-node20-paced'],
    ]);
    expect(r[0]!.ingestVsBare).toBeCloseTo(0.6);
    expect(r[0]!.ingestVsFloor).toBeCloseTo(2.4);
    expect(r[0]!.pipelineVsBare).toBeCloseTo(0.9);
    expect(r[0]!.tickWriterUsPerTrade).toBeCloseTo(0.2);
    expect(r[0]!.e2eRateVsBare).toBeCloseTo(0.8);
    // Node 24 is judged against the Node 24 bare client (1 µs), not Node 20's;
    // it has no floor of its own in this data.
    expect(r[1]!.ingestVsBare).toBeCloseTo(0.6);
    expect(Number.isNaN(r[1]!.ingestVsFloor)).toBe(true);
    expect(r[2]!.ingestVsBare).toBeCloseTo(0.5);
    expect(r[2]!.ingestVsFloor).toBeCloseTo(3.75);
    expect(r[2]!.e2eRateVsBare).toBeCloseTo(1);
    expect(r[3]!.pace).toBe('paced');
    expect(r[3]!.ingestVsBare).toBeCloseTo(0.5);
  });

  it('summarises per variant and judges each target at its pace', () => {
    const v = variantSummaries(samples);
    expect(v.map(x => x.variant)).toEqual([
      'bare-node20',
      'frames-node20',
      'standalone-node20',
      'bare-node24',
      'standalone-node24',
      'bare-node20-paced',
      'standalone-node20-paced',
    ]);
    expect(v[2]!.rounds).toBe(3);
    expect(v[2]!.usPerTrade.ingest!.median).toBeCloseTo(1.5);
    expect(v[0]!.tradesPerSec.median).toBe(250_000);

    const s = ratioSummaries(roundRatios(samples));
    expect(s[0]!.ingestVsBare.median).toBeCloseTo(0.55);
    expect(s[0]!.ingestVsBare.min).toBeCloseTo(0.5);
    expect(s[0]!.ingestVsBare.max).toBeCloseTo(0.6);
    expect(s[0]!.ingestVsFloor.median).toBeCloseTo(3.075);
    const t = evaluateTargets(s);
    const met = (variant: string, short: string) =>
      t.find(x => x.variant === variant && x.short === short)?.met;
    expect(met('standalone-node20', 'ingest/bare')).toBe(true);
    expect(met('standalone-node20', 'ingest/floor')).toBe(false);
    expect(met('standalone-node20', 'tick-writer µs')).toBe(true);
    expect(met('standalone-node20', 'pipeline/bare')).toBe(true);
    // Keeping up is judged paced only; cost at full speed only.
    expect(met('standalone-node20', 'e2e rate/bare')).toBeUndefined();
    expect(met('standalone-node20-paced', 'ingest/bare')).toBeUndefined();
    expect(met('standalone-node20-paced', 'e2e rate/bare')).toBe(true);
    expect(met('standalone-node24', 'ingest/floor')).toBe(false);
    expect(met('standalone-node24', 'tick-writer µs')).toBe(false);
  });

  it('never meets a target with a missing value', () => {
    const t = evaluateTargets(
      ratioSummaries(
        (['full', 'paced'] as const).map(pace => ({
          round: 1,
          variant: `x-${pace}`,
          pace,
          ingestVsBare: NaN,
          ingestVsFloor: NaN,
          pipelineVsBare: NaN,
          tickWriterUsPerTrade: NaN,
          e2eRateVsBare: NaN,
        })),
      ),
    );
    expect(t).toHaveLength(5);
    expect(t.every(x => !x.met)).toBe(true);
  });
});
