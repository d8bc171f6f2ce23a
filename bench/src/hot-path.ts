import {
  BACKEND_POLICY,
  createCoalescer,
  createTradeProcessor,
  type TradeProcessor,
} from '@tickpulse/polygon';
import { createTradeGenerator, createUniverse } from '@tickpulse/polygon-sim';
import {
  boundFutureTicks,
  batchTickers,
  newestTick,
  parseTickBatch,
  publishTickBatch,
} from '@tickpulse/contracts';
import { zaddGtCommands } from '@tickpulse/redis';
import { seededRandom } from '@tickpulse/testkit';
import type { Queue } from 'bullmq';
import { Command } from 'ioredis';
import type { BenchContext, BenchOutcome } from './context.js';
import { fmt, fmtInt, summarize, type Summary } from './stats.js';

/** Excluded condition ids of the `backend` policy, for the naive pipeline. */
const BACKEND_EXCLUDED = new Set([2, 7, 13, 20, 21, 37, 52, 53]);

/** A fixed instant for generation, so frames are byte-identical across runs. */
const BASE_MS = Date.UTC(2026, 0, 5, 15, 0, 0);

/**
 * Realistic frames, deterministic: 10 000 tickers (Zipf shares), the
 * simulator's condition mix in regular hours, 1–50 trades per frame,
 * timestamps advancing 1 ms per frame. Returned as Buffers, as `ws`
 * hands them to the message handler.
 */
export function recordFrames(trades: number): {
  frames: Buffer[];
  trades: number;
  bytes: number;
  nowMs: number;
} {
  const tickers = createUniverse(10_000, 42);
  const gen = createTradeGenerator({ tickers, seed: 43, session: 'regular' });
  const rnd = seededRandom(44);
  const frames: Buffer[] = [];
  let made = 0;
  let bytes = 0;
  let now = BASE_MS;
  while (made < trades) {
    const size = Math.min(trades - made, 1 + Math.floor(rnd() * 50));
    const parts: string[] = [];
    for (let k = 0; k < size; k++) parts.push(gen.next(now).json);
    const buf = Buffer.from(`[${parts.join(',')}]`, 'utf8');
    frames.push(buf);
    bytes += buf.length;
    made += size;
    now += 1;
  }
  return { frames, trades: made, bytes, nowMs: now + 1000 };
}

interface Variant {
  name: string;
  /** Runs one pass over every frame; returns eligible trades (a checksum). */
  pass(): number;
  /** The coalesced map of the last pass (null for parse-only). */
  last: Map<string, number> | null;
}

function processorVariant(
  name: string,
  frames: Buffer[],
  nowMs: number,
  forceFallback: boolean,
): Variant & { processor: TradeProcessor } {
  const coalescer = createCoalescer();
  const processor = createTradeProcessor({ policy: BACKEND_POLICY, coalescer });
  if (forceFallback) processor.parser.parseFast = () => false;
  const v = {
    name,
    processor,
    last: null as Map<string, number> | null,
    pass() {
      let eligible = 0;
      for (let i = 0; i < frames.length; i++) {
        eligible += processor.processFrame(frames[i]!, nowMs).eligible;
      }
      v.last = coalescer.drain();
      return eligible;
    },
  };
  return v;
}

/** The naive limit: `JSON.parse` of the socket bytes, nothing else. */
function jsonParseVariant(frames: Buffer[]): Variant {
  return {
    name: 'JSON.parse only',
    last: null,
    pass() {
      let n = 0;
      for (let i = 0; i < frames.length; i++) {
        n += (JSON.parse(frames[i]!.toString('utf8')) as unknown[]).length;
      }
      return n;
    },
  };
}

/** A naive client doing the same work: JSON.parse, filter by policy, max per ticker. */
function naivePipelineVariant(frames: Buffer[]): Variant {
  const v: Variant = {
    name: 'naive JSON.parse pipeline',
    last: null,
    pass() {
      const map = new Map<string, number>();
      let eligible = 0;
      for (let i = 0; i < frames.length; i++) {
        const events = JSON.parse(frames[i]!.toString('utf8')) as {
          ev: string;
          sym: string;
          t: number;
          c?: number[];
        }[];
        for (const e of events) {
          if (e.ev !== 'T') continue;
          if (e.c?.some(id => BACKEND_EXCLUDED.has(id))) continue;
          const cur = map.get(e.sym);
          if (cur === undefined || e.t > cur) map.set(e.sym, e.t);
          eligible++;
        }
      }
      v.last = map;
      return eligible;
    },
  };
  return v;
}

function sameMap(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** Trades per `ticks` job: a 50 ms flush of a 300 000 trades/s stream. */
const JOB_TRADES = 15_000;
const ZADD_CHUNK = 500;

/** The stream's jobs as ingest publishes them, as both payload versions' JSON. */
async function recordJobs(
  frames: Buffer[],
  nowMs: number,
): Promise<{ v1: string[]; v2: string[]; members: number }> {
  const coalescer = createCoalescer();
  const processor = createTradeProcessor({ policy: BACKEND_POLICY, coalescer });
  const maps: Map<string, number>[] = [];
  let inWindow = 0;
  for (const f of frames) {
    inWindow += processor.processFrame(f, nowMs).received;
    if (inWindow >= JOB_TRADES) {
      maps.push(coalescer.drain());
      inWindow = 0;
    }
  }
  if (coalescer.size > 0) maps.push(coalescer.drain());
  // BullMQ stores `JSON.stringify(data)`; capture what publishTickBatch adds.
  const v2: string[] = [];
  const queue = {
    add: async (_name: string, data: unknown) => {
      v2.push(JSON.stringify(data));
      return { id: String(v2.length) };
    },
  } as unknown as Queue;
  for (const m of maps) await publishTickBatch(queue, m);
  const v1 = maps.map(m =>
    JSON.stringify({ v: 1, ticks: Object.fromEntries(m) }),
  );
  return { v1, v2, members: maps.reduce((a, m) => a + m.size, 0) };
}

/**
 * tick-writer's CPU per job minus BullMQ and the socket: parse the stored
 * JSON, validate, bound, and encode the ZADD GT CH pipeline to bytes. `v1 +
 * ioredis` is the previous design (object payload, ioredis's per-argument
 * encoding and the pipeline's string concatenation); `v2 + prebuilt` is the
 * current one. Returns wire bytes (equal for both: a checksum).
 */
function writerPath(jobs: string[], nowMs: number, prebuilt: boolean): number {
  let bytes = 0;
  for (const json of jobs) {
    const { accepted } = boundFutureTicks(
      parseTickBatch(JSON.parse(json)),
      nowMs,
    );
    newestTick(accepted);
    if (prebuilt) {
      for (const c of zaddGtCommands('TICK:UPD', accepted, ZADD_CHUNK))
        bytes += c.toWritable().length;
    } else {
      const { times } = accepted;
      const tickers = batchTickers(accepted);
      const args: (string | number)[] = [];
      for (let i = 0; i < tickers.length; i++)
        args.push(times[i]!, tickers[i]!);
      let data = '';
      for (let i = 0; i < args.length; i += ZADD_CHUNK * 2) {
        const cmd = new Command('zadd', [
          'TICK:UPD',
          'GT',
          'CH',
          ...args.slice(i, i + ZADD_CHUNK * 2),
        ]);
        cmd.stringifyArguments();
        data += cmd.toWritable({}) as string;
      }
      bytes += Buffer.byteLength(data);
    }
  }
  return bytes;
}

/** CPU seconds (user + system) of one call. */
function cpuOf(fn: () => unknown): number {
  const t = process.cpuUsage();
  fn();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1e6;
}

/** Benchmark 1: the ingest hot path against plain JSON.parse. */
export async function runHotPath(ctx: BenchContext): Promise<BenchOutcome> {
  const totalTrades = ctx.quick ? 20_000 : 300_000;
  const rounds = ctx.quick ? 3 : 21;
  const warmup = ctx.quick ? 1 : 5;
  const rec = recordFrames(totalTrades);
  ctx.log(
    `hot-path: ${rec.frames.length} frames, ${rec.trades} trades, ${(rec.bytes / 2 ** 20).toFixed(1)} MiB`,
  );

  const fast = processorVariant(
    'tickpulse (scanner)',
    rec.frames,
    rec.nowMs,
    false,
  );
  const slow = processorVariant(
    'tickpulse fallback (JSON.parse path)',
    rec.frames,
    rec.nowMs,
    true,
  );
  const json = jsonParseVariant(rec.frames);
  const naive = naivePipelineVariant(rec.frames);
  const variants: Variant[] = [fast, slow, json, naive];

  // Correctness first: the harness must measure the real thing.
  const problems: string[] = [];
  const eFast = fast.pass();
  const eSlow = slow.pass();
  const nJson = json.pass();
  const eNaive = naive.pass();
  if (eFast <= 0) problems.push('fast path coalesced no trades');
  if (eFast !== eSlow || eFast !== eNaive)
    problems.push(
      `eligible counts differ: fast ${eFast}, fallback ${eSlow}, naive ${eNaive}`,
    );
  if (nJson !== rec.trades)
    problems.push(`JSON.parse saw ${nJson} events, expected ${rec.trades}`);
  if (!sameMap(fast.last!, slow.last!) || !sameMap(fast.last!, naive.last!))
    problems.push('coalesced maps differ between fast, fallback and naive');
  if (fast.processor.parser.slowFrames !== 0)
    problems.push(
      `fast variant fell back on ${fast.processor.parser.slowFrames} frames`,
    );
  if (slow.processor.parser.fastFrames !== 0)
    problems.push('fallback variant used the scanner');

  for (let w = 0; w < warmup; w++) for (const v of variants) v.pass();

  // Interleaved rounds, rotating the order so no variant always runs first.
  const rates = new Map<string, number[]>(variants.map(v => [v.name, []]));
  const ratioSamples: number[] = [];
  const ratioNaive: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length]!);
    const roundRate = new Map<string, number>();
    for (const v of order) {
      const t0 = process.hrtime.bigint();
      v.pass();
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      const rate = rec.trades / secs;
      rates.get(v.name)!.push(rate);
      roundRate.set(v.name, rate);
    }
    ratioSamples.push(roundRate.get(fast.name)! / roundRate.get(json.name)!);
    ratioNaive.push(roundRate.get(fast.name)! / roundRate.get(naive.name)!);
  }
  const summaries: Record<string, Summary> = {};
  for (const [k, v] of rates) {
    summaries[k] = summarize(v);
    if (!(summaries[k].median > 0)) problems.push(`${k}: zero throughput`);
  }
  // The ticks job path, CPU time per round, interleaved the same way.
  const jobs = await recordJobs(rec.frames, rec.nowMs);
  if (
    writerPath(jobs.v1, rec.nowMs, false) !==
    writerPath(jobs.v2, rec.nowMs, true)
  )
    problems.push('prebuilt ZADD bytes differ from ioredis encoding');
  const jobCpu = { old: [] as number[], now: [] as number[] };
  const jobRatio: number[] = [];
  const a = () => writerPath(jobs.v1, rec.nowMs, false);
  const b = () => writerPath(jobs.v2, rec.nowMs, true);
  for (let w = 0; w < warmup; w++) {
    a();
    b();
  }
  for (let r = 0; r < rounds; r++) {
    let old: number;
    let now: number;
    if (r % 2) {
      old = cpuOf(a);
      now = cpuOf(b);
    } else {
      now = cpuOf(b);
      old = cpuOf(a);
    }
    jobCpu.old.push(old);
    jobCpu.now.push(now);
    jobRatio.push(now / old);
  }
  const jobOld = summarize(jobCpu.old.map(x => (x / rec.trades) * 1e6));
  const jobNew = summarize(jobCpu.now.map(x => (x / rec.trades) * 1e6));
  const jobR = summarize(jobRatio);
  const ratio = summarize(ratioSamples);
  const ratioVsNaive = summarize(ratioNaive);
  const target = 1.5;
  const met = ratio.median >= target;

  const rows = [...rates.keys()].map(k => {
    const s = summaries[k]!;
    return `| ${k} | ${fmtInt(s.median)} | ${fmtInt(s.min)} – ${fmtInt(s.max)} | ${fmtInt(s.p25)} – ${fmtInt(s.p75)} | ${fmt((s.median * rec.bytes) / rec.trades / 2 ** 20, 1)} |`;
  });
  const md = [
    '## Setup',
    '',
    `${rec.frames.length} frames, ${fmtInt(rec.trades)} trades, ${fmt(rec.bytes / 2 ** 20, 1)} MiB, generated in memory with the simulator's generator (universe seed 42, stream seed 43, frame sizes 1–50 uniform with seed 44, regular-hours condition mix, \`backend\` policy). Frames are \`Buffer\`s as \`ws\` delivers them, so every JSON.parse variant includes \`toString('utf8')\`. One thread; trades/s per core = trades / wall time of one pass. ${rounds} interleaved rounds (order rotated each round) after ${warmup} warm-up passes; median, min–max and interquartile range.`,
    '',
    '- **tickpulse (scanner)**: `createTradeProcessor().processFrame(buf)` — byte scanner, validation, policy, coalesce (the ingest hot path).',
    '- **fallback**: the same processor forced onto its `JSON.parse` path (what an unusual frame costs).',
    '- **JSON.parse only**: `JSON.parse(buf.toString())`, nothing else — the naive limit the target refers to.',
    '- **naive JSON.parse pipeline**: JSON.parse + condition filter + max per ticker (what a straightforward client would do).',
    '',
    'All four produce the same eligible count and the same coalesced map (checked before timing).',
    '',
    '| variant | trades/s median | min – max | p25 – p75 | MiB/s (median) |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `**Ratio tickpulse / JSON.parse only (per round): median ${fmt(ratio.median)}× (min ${fmt(ratio.min)}×, max ${fmt(ratio.max)}×)** — target ≥ ${target}×: ${met ? 'met' : 'missed'}.`,
    `Ratio tickpulse / naive pipeline: median ${fmt(ratioVsNaive.median)}× (min ${fmt(ratioVsNaive.min)}×, max ${fmt(ratioVsNaive.max)}×).`,
    `Fallback path: median ${fmtInt(summaries[slow.name]!.median)} trades/s (${fmt(summaries[slow.name]!.median / summaries[json.name]!.median)}× JSON.parse only).`,
    '',
    '## ticks job path (tick-writer, minus BullMQ and the socket)',
    '',
    `The same stream coalesced into ${jobs.v1.length} jobs of ${fmtInt(JOB_TRADES)} trades (a 50 ms flush at 300 000 trades/s; ${fmtInt(jobs.members / jobs.v1.length)} tickers per job): JSON.parse of the stored payload, \`parseTickBatch\`, the future bound, and the ZADD GT CH pipeline (chunks of ${ZADD_CHUNK}) encoded to bytes. CPU time (\`process.cpuUsage\`) per round, old and new interleaved; µs per trade of the stream.`,
    '',
    '| variant | µs/trade median | min – max |',
    '|---|---|---|',
    `| v1 payload + ioredis encoding (before) | ${fmt(jobOld.median, 3)} | ${fmt(jobOld.min, 3)} – ${fmt(jobOld.max, 3)} |`,
    `| v2 payload + prebuilt ZADD (now) | ${fmt(jobNew.median, 3)} | ${fmt(jobNew.min, 3)} – ${fmt(jobNew.max, 3)} |`,
    '',
    `Ratio now / before (per round): median ${fmt(jobR.median)}× (min ${fmt(jobR.min)}×, max ${fmt(jobR.max)}×).`,
    '',
  ].join('\n');
  return {
    data: {
      frames: rec.frames.length,
      trades: rec.trades,
      bytes: rec.bytes,
      rounds,
      warmup,
      eligiblePerPass: eFast,
      tradesPerSecond: summaries,
      ratioVsJsonParse: ratio,
      ratioVsNaivePipeline: ratioVsNaive,
      ticksJobPath: {
        jobs: jobs.v1.length,
        tickersPerJob: jobs.members / jobs.v1.length,
        usPerTradeBefore: jobOld,
        usPerTradeNow: jobNew,
        ratioNowVsBefore: jobR,
      },
      target: { ratio: target, met },
    },
    markdown: md,
    problems,
    summary: `hot path ${fmtInt(summaries[fast.name]!.median)} trades/s vs JSON.parse ${fmtInt(summaries[json.name]!.median)} → ${fmt(ratio.median)}× (target ≥ 1.5×: ${met ? 'met' : 'MISSED'}); fallback ${fmtInt(summaries[slow.name]!.median)}/s`,
  };
}
