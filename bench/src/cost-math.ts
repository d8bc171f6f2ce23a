import { summarize, type Summary } from './stats.js';

/** One variant's measurement in one round of the cost benchmark. */
export interface CostSample {
  round: number;
  /** e.g. `standalone-node20`. */
  variant: string;
  kind: 'bare' | 'tickpulse';
  /** The Node version the consumer processes ran on (`v20.20.2`). */
  node: string;
  /** Trades the feeder sent. */
  trades: number;
  /** Stream start → last trade received (bare) or TICK:UPD equal to the oracle (tickpulse). */
  seconds: number;
  /** utime + stime per process over that window (`bare`, `ingest`, `tick-writer`, `redis`). */
  cpuSeconds: Record<string, number>;
}

/** A tickpulse sample set against the bare client of its round and Node version. */
export interface RoundRatios {
  round: number;
  variant: string;
  /** ingest µs/trade ÷ bare µs/trade. */
  ingestVsBare: number;
  /** (ingest + tick-writer + redis) µs/trade ÷ bare µs/trade. */
  pipelineVsBare: number;
  tickWriterUsPerTrade: number;
  /** (trades / time to convergence) ÷ (trades / bare's time to the last trade). */
  e2eRateVsBare: number;
}

/** The processes whose CPU makes up tickpulse's pipeline. */
export const PIPELINE = ['ingest', 'tick-writer', 'redis'] as const;

/** CPU µs per trade of one process in a sample (NaN when not measured). */
export function usPerTrade(s: CostSample, proc: string): number {
  const cpu = s.cpuSeconds[proc];
  return cpu === undefined || s.trades <= 0 ? NaN : (cpu * 1e6) / s.trades;
}

/**
 * Every tickpulse sample's ratios against the bare client of the same
 * round on the same Node version; samples without such a partner are left
 * out (they cannot be compared fairly).
 */
export function roundRatios(samples: readonly CostSample[]): RoundRatios[] {
  const out: RoundRatios[] = [];
  for (const s of samples) {
    if (s.kind !== 'tickpulse') continue;
    const bare = samples.find(
      b => b.kind === 'bare' && b.round === s.round && b.node === s.node,
    );
    if (!bare) continue;
    const bareUs = usPerTrade(bare, 'bare');
    const pipeline = PIPELINE.reduce((a, p) => a + usPerTrade(s, p), 0);
    out.push({
      round: s.round,
      variant: s.variant,
      ingestVsBare: usPerTrade(s, 'ingest') / bareUs,
      pipelineVsBare: pipeline / bareUs,
      tickWriterUsPerTrade: usPerTrade(s, 'tick-writer'),
      e2eRateVsBare: bare.seconds / s.seconds,
    });
  }
  return out;
}

/** Per variant: µs/trade per process and seconds, as medians with spread. */
export interface VariantSummary {
  variant: string;
  node: string;
  rounds: number;
  usPerTrade: Record<string, Summary>;
  seconds: Summary;
  /** trades / seconds. */
  tradesPerSec: Summary;
}

/** Summarises every variant's samples, in the order variants first appear. */
export function variantSummaries(
  samples: readonly CostSample[],
): VariantSummary[] {
  const ids = [...new Set(samples.map(s => s.variant))];
  return ids.map(variant => {
    const mine = samples.filter(s => s.variant === variant);
    const procs = [...new Set(mine.flatMap(s => Object.keys(s.cpuSeconds)))];
    return {
      variant,
      node: mine[0]!.node,
      rounds: mine.length,
      usPerTrade: Object.fromEntries(
        procs.map(p => [p, summarize(mine.map(s => usPerTrade(s, p)))]),
      ),
      seconds: summarize(mine.map(s => s.seconds)),
      tradesPerSec: summarize(mine.map(s => s.trades / s.seconds)),
    };
  });
}

/** The ratios of one variant over its rounds. */
export type RatioSummary = { variant: string } & Record<
  Exclude<keyof RoundRatios, 'round' | 'variant'>,
  Summary
>;

/** Medians and spread of each ratio per tickpulse variant. */
export function ratioSummaries(ratios: readonly RoundRatios[]): RatioSummary[] {
  const ids = [...new Set(ratios.map(r => r.variant))];
  return ids.map(variant => {
    const mine = ratios.filter(r => r.variant === variant);
    const of = (k: keyof RoundRatios) =>
      summarize(mine.map(r => r[k] as number));
    return {
      variant,
      ingestVsBare: of('ingestVsBare'),
      pipelineVsBare: of('pipelineVsBare'),
      tickWriterUsPerTrade: of('tickWriterUsPerTrade'),
      e2eRateVsBare: of('e2eRateVsBare'),
    };
  });
}

/** One of the targets, judged on a variant's median. */
export interface TargetResult {
  variant: string;
  target: string;
  short: string;
  median: number;
  met: boolean;
}

/** The cost targets, each with its bound and direction. */
export const COST_TARGETS: {
  key: Exclude<keyof RoundRatios, 'round' | 'variant'>;
  label: string;
  /** For one-line summaries. */
  short: string;
  bound: number;
  atMost: boolean;
}[] = [
  {
    key: 'ingestVsBare',
    label: 'ingest ≤ 1.0× bare',
    short: 'ingest/bare',
    bound: 1,
    atMost: true,
  },
  {
    key: 'tickWriterUsPerTrade',
    label: 'tick-writer ≤ 0.25 µs/trade',
    short: 'tick-writer µs',
    bound: 0.25,
    atMost: true,
  },
  {
    key: 'pipelineVsBare',
    label: 'ingest + tick-writer + Redis ≤ 1.5× bare',
    short: 'pipeline/bare',
    bound: 1.5,
    atMost: true,
  },
  {
    key: 'e2eRateVsBare',
    label: 'end-to-end rate ≥ 0.95× bare',
    short: 'e2e rate/bare',
    bound: 0.95,
    atMost: false,
  },
];

/** Judges every target on every variant's median (NaN never meets a target). */
export function evaluateTargets(
  summaries: readonly RatioSummary[],
): TargetResult[] {
  return summaries.flatMap(s =>
    COST_TARGETS.map(t => {
      const median = s[t.key].median;
      return {
        variant: s.variant,
        target: t.label,
        short: t.short,
        median,
        met: t.atMost ? median <= t.bound : median >= t.bound,
      };
    }),
  );
}
