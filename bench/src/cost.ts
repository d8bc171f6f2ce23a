import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis, type Cluster } from 'ioredis';
import { sumOf } from '@tickpulse/service-kit';
import {
  freePort,
  startRedisCluster,
  waitFor,
  type TestRedisCluster,
} from '@tickpulse/testkit';
import type { BenchContext, BenchOutcome } from './context.js';
import { differing, waitEqual } from './cost-converge.js';
import {
  COST_TARGETS,
  evaluateTargets,
  ratioSummaries,
  roundRatios,
  variantSummaries,
  type CostSample,
  type Pace,
  type RatioKey,
} from './cost-math.js';
import {
  cpuSeconds,
  postJson,
  scrape,
  spawnApp,
  waitHttp,
  type App,
} from './procs.js';
import { REPO_ROOT } from './results.js';
import {
  INGEST_MAIN,
  namespaces,
  skipUnlessBuilt,
  startBenchRedis,
  startIngest,
  startTickWriter,
  TICK_WRITER_MAIN,
  type RedisTopology,
} from './stack.js';
import { fmt, fmtInt, type Summary } from './stats.js';

const FEEDER_MAIN = 'bench/dist/feeder.js';
const BARE_MAIN = 'bench/dist/bare-client.js';
/** Where `bash .ci/node.sh <major>` puts a Node.js major. */
const nodeBinary = (major: string) =>
  join(REPO_ROOT, '.ci', '.cache', `node${major}`, 'bin', 'node');

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Every figure at both paces; the targets say which pace judges them. */
const PACES: Pace[] = ['full', 'paced'];

interface Variant {
  id: string;
  kind: CostSample['kind'];
  pace: Pace;
  topology?: 'standalone' | 'cluster';
  /** Node binary and its version. */
  node: string;
  version: string;
}

interface FeederStats {
  subscribed: number;
  streams: number;
  streaming: boolean;
  startedAt: number;
  finishedAt: number;
  sentTrades: number;
  maxBufferedBytes: number;
}

interface Feeder {
  app: App;
  base: string;
  ws: string;
  trades: number;
  frames: number;
  bytes: number;
  generateMs: number;
  expected: Map<string, number>;
  stats(): Promise<FeederStats>;
  /** Waits until exactly one client is subscribed, starts the stream; returns its start time. */
  start(pace: Pace): Promise<number>;
  /** Waits until the current stream has been sent. */
  finished(timeoutMs: number): Promise<FeederStats>;
}

async function startFeeder(
  ctx: BenchContext,
  opts: { trades: number; rate: number; frameMax: number; seed: number },
): Promise<Feeder> {
  const port = await freePort();
  const oracleFile = join(ctx.workDir, 'feeder-oracle.json');
  const app = spawnApp(
    'feeder',
    FEEDER_MAIN,
    {
      HTTP_PORT: String(port),
      FEEDER_TRADES: String(opts.trades),
      FEEDER_RATE: String(opts.rate),
      FEEDER_FRAME_MAX: String(opts.frameMax),
      FEEDER_SEED: String(opts.seed),
      FEEDER_ORACLE_FILE: oracleFile,
    },
    ctx.workDir,
    // 2 M pre-generated frames and their oracle outgrow the default heap.
    ['--max-old-space-size=4096'],
  );
  const base = `http://127.0.0.1:${port}`;
  // Generation comes first: ~1 s per million trades on a quiet core.
  await waitHttp(`${base}/healthz`, 300_000);
  const o = JSON.parse(readFileSync(oracleFile, 'utf8')) as {
    trades: number;
    frames: number;
    bytes: number;
    generateMs: number;
    expected: [string, number][];
  };
  const stats = async () =>
    (await (await fetch(`${base}/stats`)).json()) as FeederStats;
  return {
    app,
    base,
    ws: `ws://127.0.0.1:${port}/stocks`,
    trades: o.trades,
    frames: o.frames,
    bytes: o.bytes,
    generateMs: o.generateMs,
    expected: new Map(o.expected),
    stats,
    async start(pace) {
      // Exactly one: a previous variant's connection must be gone.
      await waitFor(async () => (await stats()).subscribed === 1, {
        timeoutMs: 60_000,
        intervalMs: 50,
        what: 'one subscribed consumer at the feeder',
      });
      const r = (await postJson(`${base}/start`, { pace })) as {
        startedAt: number;
      };
      return r.startedAt;
    },
    async finished(timeoutMs) {
      let last: FeederStats | undefined;
      await waitFor(
        async () => {
          last = await stats();
          return !last.streaming;
        },
        { timeoutMs, intervalMs: 20, what: 'the feeder to finish its stream' },
      );
      return last!;
    },
  };
}

function nodeVersion(bin: string): string | null {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/** The process ids of a cluster's servers (`INFO server`). */
async function clusterPids(cluster: TestRedisCluster): Promise<number[]> {
  const out: number[] = [];
  for (const n of cluster.nodes) {
    const r = new Redis(n.port, n.host, {
      protocol: 2,
      maxRetriesPerRequest: 1,
    });
    try {
      out.push(Number(/process_id:(\d+)/.exec(await r.info('server'))?.[1]));
    } finally {
      r.disconnect();
    }
  }
  return out;
}

const cpuOf = (pids: Record<string, number[]>) =>
  Object.fromEntries(
    Object.entries(pids).map(([k, list]) => [
      k,
      list.reduce((a, pid) => a + cpuSeconds(pid), 0),
    ]),
  );

const delta = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(Object.keys(a).map(k => [k, b[k]! - a[k]!]));

/** Benchmark: CPU per trade of ingest, tick-writer and Redis next to a bare JSON.parse client. */
export async function runCost(ctx: BenchContext): Promise<BenchOutcome> {
  const missing = skipUnlessBuilt(
    INGEST_MAIN,
    TICK_WRITER_MAIN,
    FEEDER_MAIN,
    BARE_MAIN,
  );
  if (missing) return missing;
  const o = ctx.opts;
  const trades = Number(o['cost-trades'] ?? (ctx.quick ? 50_000 : 2_000_000));
  const rate = Number(o['cost-rate'] ?? (ctx.quick ? 50_000 : 300_000));
  const rounds = Number(o['cost-rounds'] ?? (ctx.quick ? 1 : 3));
  const frameMax = Number(o['cost-frame-max'] ?? 50);
  const profDir = o['cost-cpu-prof'];
  const paces = (o['cost-paces'] ?? PACES.join(',')).split(',') as Pace[];
  if (paces.some(p => !PACES.includes(p)))
    throw new Error(`--cost-paces takes ${PACES.join(', ')}`);
  if (profDir) mkdirSync(profDir, { recursive: true });
  // Only an unprofiled full-size run is a recorded result; anything else is marked as a dev run.
  const fullSize =
    !ctx.quick &&
    !profDir &&
    trades >= 2_000_000 &&
    rate === 300_000 &&
    paces.length === PACES.length &&
    rounds >= 3;

  const major = (version: string) => `node${version.slice(1).split('.')[0]}`;
  const kinds = (
    node: string,
    version: string,
    topologies: ('standalone' | 'cluster')[],
  ): Variant[] =>
    paces.flatMap(pace => [
      ...(['bare', 'frames'] as const).map(kind => ({
        id: `${kind}-${major(version)}-${pace}`,
        kind,
        pace,
        node,
        version,
      })),
      ...topologies.map(topology => ({
        id: `${topology}-${major(version)}-${pace}`,
        kind: 'tickpulse' as const,
        pace,
        topology,
        node,
        version,
      })),
    ]);
  const variants = kinds(process.execPath, process.version, [
    'standalone',
    'cluster',
  ]);
  // Other Node majors run the yardsticks and tickpulse-standalone again;
  // the feeder and Redis stay as they are.
  const notes: string[] = [];
  const ownMajor = process.versions.node.split('.')[0]!;
  for (const m of (o['cost-nodes'] ?? '24').split(',').filter(Boolean)) {
    if (m === ownMajor) {
      notes.push(`The bench itself runs on Node ${m}: no separate variants.`);
      continue;
    }
    const bin = nodeBinary(m);
    const v = nodeVersion(bin);
    if (v?.startsWith(`v${m}.`))
      variants.push(...kinds(bin, v, ['standalone']));
    else
      notes.push(
        `Node ${m} variants skipped: no Node ${m} at ${bin} (run \`bash .ci/node.sh ${m}\`).`,
      );
  }

  const problems: string[] = [];
  const samples: (CostSample & {
    maxBufferedBytes: number;
    feederSentPerSec: number;
    /** ticks jobs tick-writer processed and the tickers they held (tickpulse only). */
    jobs: number | null;
    members: number | null;
  })[] = [];
  ctx.log(`cost: generating ${fmtInt(trades)} trades (frames ≤ ${frameMax})`);
  const feeder = await startFeeder(ctx, { trades, rate, frameMax, seed: 42 });
  ctx.log(
    `cost: feeder ready in ${fmt(feeder.generateMs / 1000, 1)} s: ${fmtInt(feeder.frames)} frames, ${fmt(feeder.bytes / 2 ** 20, 0)} MiB, oracle ${fmtInt(feeder.expected.size)} tickers`,
  );
  const streamMs = (trades / rate) * 1000;
  const timeoutMs = streamMs + (ctx.quick ? 30_000 : 120_000);
  let cluster: TestRedisCluster | undefined;
  let clusterClient: Cluster | undefined;
  const running: App[] = [];
  const stopAll = async () => {
    for (const a of running.splice(0)) await a.stop();
  };

  const runBare = async (v: Variant, round: number) => {
    const statsFile = join(ctx.workDir, `${v.id}-r${round}.json`);
    const app = spawnApp(
      `${v.id}-r${round}`,
      BARE_MAIN,
      {
        WS_URL: feeder.ws,
        CLIENT_MODE: v.kind === 'frames' ? 'frames' : 'parse',
        TRADES: String(feeder.trades),
        FRAMES: String(feeder.frames),
        STATS_FILE: statsFile,
      },
      ctx.workDir,
      [],
      v.node,
    );
    running.push(app);
    const read = () => {
      try {
        return JSON.parse(readFileSync(statsFile, 'utf8')) as {
          trades: number;
          lastAt: number;
          subscribed: boolean;
        };
      } catch {
        return null;
      }
    };
    await waitFor(async () => read()?.subscribed === true, {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: `${v.id} subscribed`,
    });
    const pids = { [v.kind]: [app.pid], feeder: [feeder.app.pid] };
    const cpu0 = cpuOf(pids);
    const startedAt = await feeder.start(v.pace);
    let last = read();
    while ((last?.lastAt ?? 0) === 0 && Date.now() - startedAt < timeoutMs) {
      await sleep(20);
      last = read();
    }
    const cpu1 = cpuOf(pids);
    const fs = await feeder.finished(timeoutMs);
    await stopAll();
    if (!last?.lastAt) {
      problems.push(
        `round ${round} ${v.id}: received ${last?.trades ?? 0} of ${feeder.trades} trades`,
      );
      return null;
    }
    return {
      seconds: (last.lastAt - startedAt) / 1000,
      cpuSeconds: delta(cpu0, cpu1),
      fs,
      jobs: null,
      members: null,
    };
  };

  const runTickpulse = async (v: Variant, round: number) => {
    const ns = namespaces();
    const key = `${ns.keyPrefix}TICK:UPD`;
    let topology: RedisTopology;
    let client: Redis | Cluster;
    let redisPids: number[];
    let closeRedis = async () => undefined as void;
    if (v.topology === 'cluster') {
      if (!cluster) {
        cluster = await startRedisCluster({ masters: 3 });
        clusterClient = cluster.client();
      }
      topology = { cluster: cluster.env };
      client = clusterClient!;
      redisPids = await clusterPids(cluster);
    } else {
      const redis = await startBenchRedis();
      topology = redis.url;
      client = redis.client;
      redisPids = [redis.pid];
      closeRedis = () => redis.close();
    }
    try {
      const launch = (app: string) => ({
        name: `${app}-${v.id}-r${round}`,
        node: v.node,
        nodeArgs: profDir
          ? [
              '--cpu-prof',
              `--cpu-prof-dir=${profDir}`,
              `--cpu-prof-name=${app}-${v.id}-r${round}.cpuprofile`,
            ]
          : [],
      });
      const writer = await startTickWriter(ctx.workDir, {
        redisUrl: topology,
        ...ns,
        ...launch('tick-writer'),
      });
      running.push(writer.app);
      const ingest = await startIngest(ctx.workDir, {
        wsUrl: feeder.ws,
        redisUrl: topology,
        ...ns,
        // Nothing to heal: every run starts on an empty namespace.
        env: { BACKFILL_ENABLED: 'false' },
        ...launch('ingest'),
      });
      running.push(ingest.app);
      const pids = {
        ingest: [ingest.app.pid],
        'tick-writer': [writer.app.pid],
        redis: redisPids,
        feeder: [feeder.app.pid],
      };
      const cpu0 = cpuOf(pids);
      const startedAt = await feeder.start(v.pace);
      // Nothing can be final before the last frame is out; no Redis reads meanwhile.
      await feeder.finished(timeoutMs);
      const at = await waitEqual(
        client,
        key,
        feeder.expected,
        startedAt + timeoutMs,
      );
      const cpu1 = cpuOf(pids);
      const fs = await feeder.stats();
      // tick-writer's cost is per job and per member, not per trade: the
      // record says how many of each a run took.
      const m = await scrape(`${writer.base}/metrics`);
      const jobs = sumOf(m, 'tickpulse_tick_writer_batch_size_tickers_count');
      const members = sumOf(m, 'tickpulse_tick_writer_batch_size_tickers_sum');
      const left = await differing(client, key, feeder.expected);
      await stopAll();
      if (at === null || left.length > 0) {
        problems.push(
          `round ${round} ${v.id}: TICK:UPD not equal to the oracle (${left.length} of ${feeder.expected.size} tickers differ${at === null ? `, ${fmt(timeoutMs / 1000, 0)} s after the stream started` : ' after it once matched'})`,
        );
        return null;
      }
      return {
        seconds: (at - startedAt) / 1000,
        cpuSeconds: delta(cpu0, cpu1),
        fs,
        jobs,
        members,
      };
    } finally {
      await stopAll();
      await closeRedis();
    }
  };

  try {
    for (let round = 1; round <= rounds; round++) {
      for (const v of variants) {
        const r =
          v.kind === 'tickpulse'
            ? await runTickpulse(v, round)
            : await runBare(v, round);
        if (!r) continue;
        const s = {
          round,
          variant: v.id,
          kind: v.kind,
          pace: v.pace,
          node: v.version,
          trades: feeder.trades,
          seconds: r.seconds,
          cpuSeconds: r.cpuSeconds,
          maxBufferedBytes: r.fs.maxBufferedBytes,
          jobs: r.jobs,
          members: r.members,
          feederSentPerSec:
            (r.fs.sentTrades * 1000) / (r.fs.finishedAt - r.fs.startedAt),
        };
        samples.push(s);
        ctx.log(
          `cost: round ${round} ${v.id}: ${fmt(s.seconds, 2)} s (${fmtInt(s.trades / s.seconds)} trades/s), µs/trade ${Object.entries(
            s.cpuSeconds,
          )
            .map(([k, c]) => `${k} ${fmt((c * 1e6) / s.trades, 3)}`)
            .join(
              ', ',
            )}${s.jobs === null ? '' : `; ${fmtInt(s.jobs)} ticks jobs, ${fmtInt((s.members ?? 0) / Math.max(1, s.jobs))} tickers/job`}`,
        );
      }
    }
  } finally {
    await stopAll();
    await feeder.app.stop();
    await cluster?.stop();
  }

  const ratios = roundRatios(samples);
  const perVariant = variantSummaries(samples);
  const perRatio = ratioSummaries(ratios);
  const targets = evaluateTargets(perRatio);
  const loadAvgAtEnd = loadavg()[0]!;
  const data = {
    devRun: !fullSize,
    trades: feeder.trades,
    rate,
    rounds,
    frameMax,
    feed: {
      frames: feeder.frames,
      bytes: feeder.bytes,
      generateMs: feeder.generateMs,
      tickers: feeder.expected.size,
    },
    variants: variants.map(v => ({
      id: v.id,
      kind: v.kind,
      pace: v.pace,
      topology: v.topology ?? null,
      node: v.version,
    })),
    cpuProfDir: profDir ?? null,
    loadAvgAtEnd,
    notes,
    samples,
    ratios,
    perVariant,
    perRatio,
    targets,
  };
  const markdown = costMarkdown(data, ctx);
  const std = targets.filter(t =>
    variants.some(
      v =>
        v.id === t.variant &&
        v.topology === 'standalone' &&
        v.node === process.execPath,
    ),
  );
  return {
    data,
    markdown,
    problems,
    summary: `${fmtInt(feeder.trades)} trades at ${fmtInt(rate)}/s × ${rounds} round(s)${fullSize ? '' : ' (dev size)'}: ${std
      .map(t => `${t.short} ${fmt(t.median, 3)} ${t.met ? 'met' : 'MISSED'}`)
      .join(', ')}`,
  };
}

const span = (s: Summary | undefined, d = 2) =>
  s ? `${fmt(s.median, d)} (${fmt(s.min, d)}–${fmt(s.max, d)})` : '–';

type CostData = {
  devRun: boolean;
  trades: number;
  rate: number;
  rounds: number;
  frameMax: number;
  feed: { frames: number; bytes: number; tickers: number };
  variants: { id: string; node: string; kind: string; pace: Pace }[];
  cpuProfDir: string | null;
  loadAvgAtEnd: number;
  notes: string[];
  samples: (CostSample & {
    maxBufferedBytes: number;
    feederSentPerSec: number;
    jobs: number | null;
    members: number | null;
  })[];
  ratios: ReturnType<typeof roundRatios>;
  perVariant: ReturnType<typeof variantSummaries>;
  perRatio: ReturnType<typeof ratioSummaries>;
  targets: ReturnType<typeof evaluateTargets>;
};

/**
 * The headline: per tickpulse variant at full speed, each figure the issue
 * asks for in µs/trade next to its yardsticks of the same Node version.
 */
function headlineTable(d: CostData): string[] {
  const full = d.perRatio.filter(r => r.pace === 'full');
  const us = (variant: string | undefined, proc: string) =>
    span(d.perVariant.find(v => v.variant === variant)?.usPerTrade[proc], 3);
  const yardstick = (tp: string, kind: string) =>
    d.variants.find(
      v =>
        v.kind === kind &&
        v.pace === 'full' &&
        v.node === d.variants.find(x => x.id === tp)!.node,
    )?.id;
  const rate = (variant: string | undefined) => {
    const v = d.perVariant.find(x => x.variant === variant);
    return v ? fmtInt(v.tradesPerSec.median) : '–';
  };
  const row = (label: string, cell: (tp: string) => string) =>
    `| ${label} | ${full.map(r => cell(r.variant)).join(' | ')} |`;
  const ratio = (tp: string, k: RatioKey, dp = 2) =>
    span(full.find(r => r.variant === tp)?.[k], dp);
  return [
    `| figure, µs/trade (median, min–max) | ${full.map(r => r.variant).join(' | ')} |`,
    `|---|${full.map(() => '---').join('|')}|`,
    row('bare client (only `JSON.parse`)', tp =>
      us(yardstick(tp, 'bare'), 'bare'),
    ),
    row('frames only (the floor)', tp => us(yardstick(tp, 'frames'), 'frames')),
    row('ingest', tp => us(tp, 'ingest')),
    row('ingest ÷ bare', tp => `${ratio(tp, 'ingestVsBare')}×`),
    row('ingest ÷ floor', tp => `${ratio(tp, 'ingestVsFloor')}×`),
    row('tick-writer', tp => us(tp, 'tick-writer')),
    row('Redis', tp => us(tp, 'redis')),
    row(
      '(ingest + tick-writer + Redis) ÷ bare',
      tp => `${ratio(tp, 'pipelineVsBare')}×`,
    ),
    row(
      'end-to-end trades/s (feeder on the same cores) ÷ bare',
      tp =>
        `${rate(tp)} = ${ratio(tp, 'e2eRateVsBare', 3)}× (bare ${rate(yardstick(tp, 'bare'))})`,
    ),
  ];
}

function costMarkdown(d: CostData, ctx: BenchContext): string {
  const procs = ['bare', 'frames', 'ingest', 'tick-writer', 'redis', 'feeder'];
  const tp = d.perRatio.map(r => r.variant);
  return [
    '',
    ...(d.devRun
      ? [
          `> **Dev run** (${fmtInt(d.trades)} trades, paced at ${fmtInt(d.rate)} trades/s and at full speed, ${d.rounds} round(s)${ctx.quick ? ', quick mode' : ''}; load average at start in the header, ${fmt(d.loadAvgAtEnd, 2)} at the end): it checks the harness; the recorded figures need the full run (\`npm run bench -- --only cost\`: 2 000 000 trades, 300 000/s paced, 3 rounds) on a quiet machine.`,
          '',
        ]
      : []),
    '## Setup',
    '',
    `An independent feeder process (\`bench/src/feeder.ts\`) pre-generates ${fmtInt(d.trades)} realistic regular-hours trades (polygon-sim's universe of 10 000 tickers with Zipf shares, its condition and exchange mix) in ${fmtInt(d.feed.frames)} frames of 1–${d.frameMax} trades (${fmt(d.feed.bytes / 2 ** 20, 1)} MiB), and the oracle: the newest eligible trade time per ticker under ingest's \`backend\` policy (${fmtInt(d.feed.tickers)} tickers). It then speaks the Polygon WebSocket protocol and streams the same frames to the one consumer subscribed, at one of two paces:`,
    '',
    `- **full** (full speed): as fast as the consumer reads them — the feeder keeps 64 frames in flight and sends the next when ws hands one to the kernel. No consumer idles between frames, so CPU per trade is the work alone. **The cost targets are judged here.**`,
    `- **paced**: at ${fmtInt(d.rate)} trades/s, about the whole US market's peak at the open. A consumer that sleeps between small batches pays wake-ups per frame, so every figure is higher than at full speed; the bare client's most of all (it does the least work per wake-up), which is why a paced ratio against it reads better than it is. Keeping up (end-to-end rate) is judged here.`,
    '',
    `Variants, interleaved in each of ${d.rounds} round(s), each on fresh processes:`,
    '',
    '- **bare**: `bench/src/bare-client.ts` connects, authenticates, subscribes and only `JSON.parse`s every frame (counting trades); window: stream start → last trade received.',
    "- **frames** (the floor): the same client in `CLIENT_MODE=frames`: after the handshake it only counts WebSocket frames, never looking inside (ws's UTF-8 validation off, as ingest runs it); window: stream start → last frame received. What any consumer pays for the transport alone.",
    '- **standalone**: ingest (`BACKFILL_ENABLED=false`, otherwise defaults) + tick-writer (defaults) on a private redis-server; window: stream start → `TICK:UPD` equal to the oracle (read once fully after the last frame is sent, then the still-differing members by ZMSCORE every 5 ms).',
    '- **cluster**: the same on a 3-master Redis Cluster (testkit `startRedisCluster`, `REDIS_CLUSTER_NODES`; fresh key and BullMQ prefixes per round); redis CPU is the sum of the three masters.',
    "- **…-node20, …-node24** (other majors than the bench's own, `--cost-nodes`): the yardsticks and tickpulse-standalone again, the consumer processes on that Node (`.ci/.cache/node<major>/bin/node`, fetched by `bash .ci/node.sh <major>`); the feeder stays on the bench's Node.",
    '',
    `CPU = utime + stime (all threads, /proc/<pid>/stat, 10 ms resolution) over the window ÷ trades sent → µs/trade. Ratios are per round against the bare client (and the floor) of the same round, Node version and pace, then medians (min–max) over rounds. End-to-end rate = trades ÷ time to convergence vs the bare client's trades ÷ time to its last trade. Node versions: ${[...new Set(d.variants.map(v => `${v.id.split('-')[1]} ${v.node}`))].join(', ')}.${d.cpuProfDir ? ` **Profiled run** (ingest and tick-writer under \`--cpu-prof\`, profiles in \`${d.cpuProfDir}\`): CPU figures include the profiler's overhead.` : ''}`,
    ...(d.notes.length > 0 ? ['', ...d.notes.map(n => `- ${n}`)] : []),
    '',
    '### Full speed (medians over rounds)',
    '',
    ...headlineTable(d),
    '',
    '### Targets (medians over rounds)',
    '',
    `| target | ${tp.join(' | ')} |`,
    `|---|${tp.map(() => '---').join('|')}|`,
    ...COST_TARGETS.map(
      t =>
        `| ${t.label} | ${tp
          .map(v => {
            const r = d.targets.find(
              x => x.variant === v && x.target === t.label,
            );
            if (!r) return '–';
            return `${fmt(r.median, 3)}${t.key === 'tickWriterUsPerTrade' ? ' µs' : '×'} ${r.met ? '✅ met' : '❌ missed'}`;
          })
          .join(' | ')} |`,
    ),
    '',
    '### Ratios against the yardsticks (median, min–max over rounds)',
    '',
    '| variant | ingest ÷ bare | ingest ÷ floor | (ingest + tick-writer + Redis) ÷ bare | tick-writer µs/trade | e2e rate ÷ bare |',
    '|---|---|---|---|---|---|',
    ...d.perRatio.map(
      r =>
        `| ${r.variant} | ${span(r.ingestVsBare)} | ${span(r.ingestVsFloor)} | ${span(r.pipelineVsBare)} | ${span(r.tickWriterUsPerTrade, 3)} | ${span(r.e2eRateVsBare, 3)} |`,
    ),
    '',
    '### CPU per trade per process, µs (median, min–max over rounds)',
    '',
    `| variant | Node | rounds | window s | trades/s | ${procs.join(' | ')} |`,
    `|---|---|---|---|---|${procs.map(() => '---').join('|')}|`,
    ...d.perVariant.map(
      v =>
        `| ${v.variant} | ${v.node} | ${v.rounds} | ${span(v.seconds)} | ${fmtInt(v.tradesPerSec.median)} | ${procs.map(p => span(v.usPerTrade[p], 3)).join(' | ')} |`,
    ),
    '',
    '### Every sample',
    '',
    `| round | variant | window s | trades/s | feeder sent/s | max buffered KiB | ticks jobs | tickers/job | ${procs.map(p => `${p} µs/trade`).join(' | ')} |`,
    `|---|---|---|---|---|---|---|---|${procs.map(() => '---').join('|')}|`,
    ...d.samples.map(
      s =>
        `| ${s.round} | ${s.variant} | ${fmt(s.seconds, 3)} | ${fmtInt(s.trades / s.seconds)} | ${fmtInt(s.feederSentPerSec)} | ${fmtInt(s.maxBufferedBytes / 1024)} | ${s.jobs === null ? '–' : fmtInt(s.jobs)} | ${s.jobs === null ? '–' : fmtInt((s.members ?? 0) / Math.max(1, s.jobs))} | ${procs
          .map(p =>
            s.cpuSeconds[p] === undefined
              ? '–'
              : fmt((s.cpuSeconds[p] * 1e6) / s.trades, 3),
          )
          .join(' | ')} |`,
    ),
    '',
    '### Per-round ratios',
    '',
    '| round | variant | ingest ÷ bare | ingest ÷ floor | pipeline ÷ bare | tick-writer µs/trade | e2e rate ÷ bare |',
    '|---|---|---|---|---|---|---|',
    ...d.ratios.map(
      r =>
        `| ${r.round} | ${r.variant} | ${fmt(r.ingestVsBare)} | ${fmt(r.ingestVsFloor)} | ${fmt(r.pipelineVsBare)} | ${fmt(r.tickWriterUsPerTrade, 3)} | ${fmt(r.e2eRateVsBare, 3)} |`,
    ),
    '',
    `Profiles: \`npm run bench -- --only cost --cost-cpu-prof <dir>\`, then \`node bench/dist/cpu-profile.js <dir>/ingest-standalone-node20-full-r1.cpuprofile --top 25\`.`,
    '',
  ].join('\n');
}
