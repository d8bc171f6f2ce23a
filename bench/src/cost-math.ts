import { summarize, type Summary } from './stats.js';

/** How the feeder sent a stream: at a fixed rate, or as fast as it is read. */
export type Pace = 'paced' | 'full';

/** One variant's measurement in one round of the cost benchmark. */
export interface CostSample {
  round: number;
  /** e.g. `standalone-node20-full`. */
  variant: string;
  /** `bare` parses every frame; `frames` only counts them (the floor). */
  kind: 'bare' | 'frames' | 'tickpulse';
  /** `paced` at the feeder's rate, or `full`: as fast as the consumer reads. */
  pace: Pace;
  /** The Node version the consumer processes ran on (`v20.20.2`). */
  node: string;
  /** Trades the feeder sent. */
  trades: number;
  /** Stream start → last frame received (bare, frames) or TICK:UPD equal to the oracle (tickpulse). */
  seconds: number;
  /** utime + stime per process over that window (`bare`, `ingest`, `tick-writer`, `redis`). */
  cpuSeconds: Record<string, number>;
}

/** A tickpulse sample set against the bare client of its round and Node version. */
export interface RoundRatios {
  round: number;
  variant: string;
  pace: Pace;
  /** ingest µs/trade ÷ bare µs/trade. */
  ingestVsBare: number;
  /** ingest µs/trade ÷ the frames-only client's µs/trade (NaN without one). */
  ingestVsFloor: number;
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
 * Every tickpulse sample's ratios against the bare client (and the
 * frames-only floor) of the same round, Node version and pace; samples
 * without a bare partner are left out (they cannot be compared fairly).
 */
export function roundRatios(samples: readonly CostSample[]): RoundRatios[] {
  const out: RoundRatios[] = [];
  const partner = (s: CostSample, kind: CostSample['kind']) =>
    samples.find(
      b =>
        b.kind === kind &&
        b.round === s.round &&
        b.node === s.node &&
        b.pace === s.pace,
    );
  for (const s of samples) {
    if (s.kind !== 'tickpulse') continue;
    const bare = partner(s, 'bare');
    if (!bare) continue;
    const floor = partner(s, 'frames');
    const bareUs = usPerTrade(bare, 'bare');
    const ingestUs = usPerTrade(s, 'ingest');
    const pipeline = PIPELINE.reduce((a, p) => a + usPerTrade(s, p), 0);
    out.push({
      round: s.round,
      variant: s.variant,
      pace: s.pace,
      ingestVsBare: ingestUs / bareUs,
      ingestVsFloor: floor ? ingestUs / usPerTrade(floor, 'frames') : NaN,
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
export type RatioSummary = { variant: string; pace: Pace } & Record<
  RatioKey,
  Summary
>;

/** The figures a round yields per tickpulse variant. */
export type RatioKey = Exclude<keyof RoundRatios, 'round' | 'variant' | 'pace'>;

/** Medians and spread of each ratio per tickpulse variant. */
export function ratioSummaries(ratios: readonly RoundRatios[]): RatioSummary[] {
  const ids = [...new Set(ratios.map(r => r.variant))];
  return ids.map(variant => {
    const mine = ratios.filter(r => r.variant === variant);
    const of = (k: RatioKey) => summarize(mine.map(r => r[k]));
    return {
      variant,
      pace: mine[0]!.pace,
      ingestVsBare: of('ingestVsBare'),
      ingestVsFloor: of('ingestVsFloor'),
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

/**
 * The cost targets (issue #27), each judged at one pace: what a trade costs
 * is judged at full speed, where no client idles between frames and pays
 * for it; keeping up with the feed is judged paced, where the feeder sets
 * the same rate for every consumer.
 */
export const COST_TARGETS: {
  key: RatioKey;
  pace: Pace;
  label: string;
  /** For one-line summaries. */
  short: string;
  bound: number;
  atMost: boolean;
}[] = [
  {
    key: 'ingestVsBare',
    pace: 'full',
    label: 'ingest ≤ 0.70× bare (full speed)',
    short: 'ingest/bare',
    bound: 0.7,
    atMost: true,
  },
  {
    key: 'ingestVsFloor',
    pace: 'full',
    label: 'ingest ≤ 2.5× the frames-only floor (full speed)',
    short: 'ingest/floor',
    bound: 2.5,
    atMost: true,
  },
  {
    key: 'tickWriterUsPerTrade',
    pace: 'full',
    label: 'tick-writer ≤ 0.20 µs/trade (full speed)',
    short: 'tick-writer µs',
    bound: 0.2,
    atMost: true,
  },
  {
    key: 'pipelineVsBare',
    pace: 'full',
    label: 'ingest + tick-writer + Redis ≤ 1.20× bare (full speed)',
    short: 'pipeline/bare',
    bound: 1.2,
    atMost: true,
  },
  {
    key: 'e2eRateVsBare',
    pace: 'paced',
    label: 'end-to-end rate ≥ 0.95× bare (paced)',
    short: 'e2e rate/bare',
    bound: 0.95,
    atMost: false,
  },
];

/** Judges every target on the median of every variant of its pace (NaN never meets a target). */
export function evaluateTargets(
  summaries: readonly RatioSummary[],
): TargetResult[] {
  return summaries.flatMap(s =>
    COST_TARGETS.filter(t => t.pace === s.pace).map(t => {
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
