import { createUniverse } from '@tickpulse/polygon-sim';
import {
  histogramBuckets,
  quantileBetween,
  sumOf,
  type PromSample,
} from '@tickpulse/service-kit';
import type { Redis } from 'ioredis';
import type { BenchContext, BenchOutcome } from './context.js';
import {
  commandDelta,
  cpuSeconds,
  memory,
  parseCommandStats,
  postJson,
  scrape,
  startRssSampler,
} from './procs.js';
import {
  INGEST_MAIN,
  namespaces,
  skipUnlessBuilt,
  startBenchRedis,
  startIngest,
  startSim,
  startTickWriter,
  TICK_WRITER_MAIN,
} from './stack.js';
import { fmt, fmtInt, quantile } from './stats.js';

/** A symbol outside the simulated universe, used only by the freshness probe. */
export function probeSymbol(): string {
  const syms = new Set(createUniverse(10_000, 42).map(t => t.sym));
  for (const s of ['ZZPRB', 'ZZPRC', 'QQZZX', 'XZQZX'])
    if (!syms.has(s)) return s;
  throw new Error('no free probe symbol');
}

/** Our own commands (probe, INFO, LLEN) are not part of the measured path. */
const BENCH_COMMANDS = new Set([
  'zscore',
  'info',
  'llen',
  'ping',
  'client|setinfo',
  'client|setname',
  'hello',
]);

export interface ProcStep {
  cpuPercent: number;
  peakRssMiB: number;
}

export interface StepResult {
  rate: number;
  seconds: number;
  simSentPerSec: number;
  ingestReceivedPerSec: number;
  receivedVsSent: number;
  eligiblePerSec: number;
  tickUpdatesPerSec: number;
  batchesPerSec: number;
  freshnessMs: { p50: number; p99: number; source: string } | null;
  probeMs: { n: number; p50: number; p99: number; max: number; missed: number };
  waitBacklogEnd: number;
  reconnects: number;
  slowConsumerKills: number;
  redisCommandsPerTrade: number;
  redisCommands: Record<string, number>;
  procs: Record<string, ProcStep>;
  sustained: boolean;
  why: string[];
}

/** Finds the freshness histogram tick-writer exports (name contains "freshness"). */
function freshnessName(samples: readonly PromSample[]): string | null {
  for (const { name } of samples) {
    const b = /^(tickpulse_[a-z_]*freshness[a-z_]*)_bucket$/.exec(name);
    if (b) return b[1]!;
  }
  return null;
}

/**
 * Sends a probe trade stamped now through the simulator and measures when
 * the Redis score shows it: sim send → ingest → queue → tick-writer → ZADD.
 */
async function probeOnce(
  simBase: string,
  redis: Redis,
  key: string,
  sym: string,
): Promise<number> {
  const t = Date.now();
  await postJson(`${simBase}/control/frames`, {
    frames: [[{ ev: 'T', sym, x: 4, i: 'probe', z: 3, p: 1, s: 100, t }]],
  });
  const deadline = t + 5000;
  for (;;) {
    const score = await redis.zscore(key, sym);
    const now = Date.now();
    if (score !== null && Number(score) >= t) return now - t;
    if (now > deadline) return Infinity;
    await new Promise(r => setTimeout(r, 2));
  }
}

/** Measures one rate step on a running stack. */
export async function measureStep(
  ctx: BenchContext,
  s: {
    simBase: string;
    ingestBase: string;
    writerBase: string;
    redis: Redis;
    tickKey: string;
    waitKey: string;
    probeSym: string;
    pids: Record<string, number>;
  },
  rate: number,
  warmSeconds: number,
  seconds: number,
): Promise<StepResult> {
  await postJson(`${s.simBase}/control/rate`, { rate });
  await new Promise(r => setTimeout(r, warmSeconds * 1000));

  const snap = async () => ({
    at: Date.now(),
    sim: (await (await fetch(`${s.simBase}/control/stats`)).json()) as {
      eventsSent: number;
      totalConnections: number;
      slowConsumerKills: number;
    },
    ingest: await scrape(`${s.ingestBase}/metrics`),
    writer: await scrape(`${s.writerBase}/metrics`),
    cmds: parseCommandStats(await s.redis.info('commandstats')),
    cpu: Object.fromEntries(
      Object.entries(s.pids).map(([k, pid]) => [k, cpuSeconds(pid)]),
    ),
  });
  const before = await snap();
  const sampler = startRssSampler(s.pids, 1000);
  const probes: number[] = [];
  let probing = true;
  const probeLoop = (async () => {
    while (probing) {
      const started = Date.now();
      probes.push(await probeOnce(s.simBase, s.redis, s.tickKey, s.probeSym));
      const wait = 500 - (Date.now() - started);
      if (wait > 0 && probing) await new Promise(r => setTimeout(r, wait));
    }
  })();
  await new Promise(r => setTimeout(r, seconds * 1000));
  probing = false;
  await probeLoop;
  const after = await snap();
  sampler.stop();
  const waitBacklogEnd = await s.redis.llen(s.waitKey);

  const secs = (after.at - before.at) / 1000;
  const d = (m: 'ingest' | 'writer', name: string) =>
    sumOf(after[m], name) - sumOf(before[m], name);
  const simSent = after.sim.eventsSent - before.sim.eventsSent;
  const received = d('ingest', 'tickpulse_ingest_trades_received_total');
  const eligible = d('ingest', 'tickpulse_ingest_trades_eligible_total');
  const updates = d('writer', 'tickpulse_tick_updates_total');
  const batches = d('ingest', 'tickpulse_ingest_batches_published_total');
  const fName = freshnessName(after.writer);
  let freshnessMs: StepResult['freshnessMs'] = null;
  if (fName) {
    const from = histogramBuckets(before.writer, fName);
    const to = histogramBuckets(after.writer, fName);
    const unit = fName.endsWith('_seconds') ? 1000 : 1;
    // NaN (not null) when nothing was observed: the recorded JSON keeps its shape.
    const q = (x: number) => (quantileBetween(from, to, x) ?? NaN) * unit;
    freshnessMs = {
      p50: q(0.5),
      p99: q(0.99),
      source: fName,
    };
  }
  const cmds = commandDelta(after.cmds, before.cmds);
  let pathCmds = 0;
  const redisCommands: Record<string, number> = {};
  for (const [k, v] of [...cmds.entries()].sort((a, b) => b[1] - a[1])) {
    if (BENCH_COMMANDS.has(k)) continue;
    pathCmds += v;
    redisCommands[k] = v;
  }
  const procs: Record<string, ProcStep> = {};
  for (const [k, pid] of Object.entries(s.pids)) {
    const peakSampled = Math.max(...(sampler.samples[k] ?? [0]));
    let hwm = NaN;
    try {
      hwm = memory(pid).hwmMiB;
    } catch {
      // gone
    }
    procs[k] = {
      cpuPercent: ((after.cpu[k]! - before.cpu[k]!) / secs) * 100,
      // VmHWM is the lifetime peak; the sampled maximum is this step's.
      peakRssMiB: Number.isFinite(hwm)
        ? Math.max(hwm, peakSampled)
        : peakSampled,
    };
  }
  const finite = probes.filter(Number.isFinite);
  const probeMs = {
    n: probes.length,
    p50: quantile(finite, 0.5),
    p99: quantile(finite, 0.99),
    max: Math.max(...finite),
    missed: probes.length - finite.length,
  };
  const why: string[] = [];
  if (simSent / secs < rate * 0.97)
    why.push(`simulator produced only ${fmtInt(simSent / secs)}/s`);
  if (received < simSent * 0.995)
    why.push(`ingest received ${fmt((received / simSent) * 100, 2)} % of sent`);
  if (after.sim.totalConnections !== before.sim.totalConnections)
    why.push('ingest reconnected');
  if (after.sim.slowConsumerKills !== before.sim.slowConsumerKills)
    why.push('slow-consumer disconnect');
  const p99 = freshnessMs?.p99 ?? probeMs.p99;
  if (!(p99 < 250)) why.push(`freshness p99 ${fmt(p99, 0)} ms`);
  if (probeMs.missed > 0)
    why.push(`${probeMs.missed} probes not visible within 5 s`);
  if (probeMs.p99 >= 250) why.push(`probe p99 ${fmt(probeMs.p99, 0)} ms`);
  return {
    rate,
    seconds: secs,
    simSentPerSec: simSent / secs,
    ingestReceivedPerSec: received / secs,
    receivedVsSent: simSent > 0 ? received / simSent : 0,
    eligiblePerSec: eligible / secs,
    tickUpdatesPerSec: updates / secs,
    batchesPerSec: batches / secs,
    freshnessMs,
    probeMs,
    waitBacklogEnd,
    reconnects: after.sim.totalConnections - before.sim.totalConnections,
    slowConsumerKills:
      after.sim.slowConsumerKills - before.sim.slowConsumerKills,
    redisCommandsPerTrade: simSent > 0 ? pathCmds / simSent : NaN,
    redisCommands,
    procs,
    sustained: why.length === 0,
    why,
  };
}

/** Benchmark 2: polygon-sim → ingest → BullMQ → tick-writer → Redis at rising rates. */
export async function runEndToEnd(ctx: BenchContext): Promise<BenchOutcome> {
  const missing = skipUnlessBuilt(INGEST_MAIN, TICK_WRITER_MAIN);
  if (missing) return missing;
  const rates = (
    ctx.opts.rates ??
    (ctx.quick ? '5000' : '10000,50000,100000,200000,300000,500000')
  )
    .split(',')
    .map(Number);
  const seconds = Number(ctx.opts.seconds ?? (ctx.quick ? 4 : 60));
  const warm = ctx.quick ? 2 : 5;
  const frameMax = ctx.opts['frame-max'] ?? '50';
  const redis = await startBenchRedis();
  const ns = namespaces();
  const sim = await startSim(ctx.workDir, {
    SIM_MAX_EVENTS_PER_FRAME: frameMax,
  });
  const profile = ctx.opts.profile === 'ingest';
  const ingest = await startIngest(ctx.workDir, {
    wsUrl: sim.ws,
    redisUrl: redis.url,
    ...ns,
    nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${ctx.workDir}`] : [],
  });
  const writer = await startTickWriter(ctx.workDir, {
    redisUrl: redis.url,
    ...ns,
  });
  const steps: StepResult[] = [];
  const problems: string[] = [];
  try {
    const stack = {
      simBase: sim.base,
      ingestBase: ingest.base,
      writerBase: writer.base,
      redis: redis.client,
      tickKey: `${ns.keyPrefix}TICK:UPD`,
      waitKey: `${ns.bullPrefix}:ticks:wait`,
      probeSym: probeSymbol(),
      pids: {
        'polygon-sim': sim.app.pid,
        ingest: ingest.app.pid,
        'tick-writer': writer.app.pid,
        'redis-server': redis.pid,
      },
    };
    for (const rate of rates) {
      ctx.log(`e2e: ${fmtInt(rate)} trades/s for ${seconds} s`);
      const st = await measureStep(ctx, stack, rate, warm, seconds);
      steps.push(st);
      ctx.log(
        `e2e: ${fmtInt(rate)}/s → sent ${fmtInt(st.simSentPerSec)}/s, received ${fmt(st.receivedVsSent * 100, 2)} %, updates ${fmtInt(st.tickUpdatesPerSec)}/s, freshness p50/p99 ${fmt(st.freshnessMs?.p50 ?? NaN, 0)}/${fmt(st.freshnessMs?.p99 ?? NaN, 0)} ms, probe p50/p99 ${fmt(st.probeMs.p50, 0)}/${fmt(st.probeMs.p99, 0)} ms, cmds/trade ${fmt(st.redisCommandsPerTrade, 5)}, CPU ${Object.entries(
          st.procs,
        )
          .map(([k, p]) => `${k} ${fmt(p.cpuPercent, 0)}%`)
          .join(
            ' ',
          )}${st.sustained ? '' : ` — NOT sustained: ${st.why.join('; ')}`}`,
      );
    }
    await postJson(`${sim.base}/control/rate`, { rate: 0 });
  } finally {
    await ingest.app.stop();
    await writer.app.stop();
    await sim.app.stop();
    await redis.close();
  }
  for (const st of steps) {
    if (st.ingestReceivedPerSec <= 0)
      problems.push(`${st.rate}/s: ingest received nothing`);
    if (st.tickUpdatesPerSec <= 0)
      problems.push(`${st.rate}/s: tick-writer wrote nothing`);
    if (st.probeMs.n === 0 || st.probeMs.missed === st.probeMs.n)
      problems.push(`${st.rate}/s: no probe reached Redis`);
  }
  const best = steps
    .filter(s => s.sustained)
    .reduce<StepResult | null>((a, b) => (!a || b.rate > a.rate ? b : a), null);
  const target = 300_000;
  const met = (best?.rate ?? 0) >= target;
  const procNames = ['polygon-sim', 'ingest', 'tick-writer', 'redis-server'];
  const md = [
    '## Setup',
    '',
    `Four processes on this ${'machine'}: \`${'node apps/polygon-sim/dist/main.js'}\` (SIM_SESSION=regular, SIM_MAX_EVENTS_PER_FRAME=${frameMax}), \`node ${INGEST_MAIN}\` (defaults: FLUSH_INTERVAL_MS 50, policy backend), \`node ${TICK_WRITER_MAIN}\` (defaults) and a private \`redis-server\` (noeviction, no persistence; unique key and BullMQ prefixes). They all share the same CPUs — the simulator's generation competes with ingest for them. Each rate: ${warm} s warm-up, then ${seconds} s measured.`,
    '',
    "- freshness: tick-writer's freshness histogram (delta over the window, interpolated quantiles); probe: a trade stamped `Date.now()` injected through the simulator every 500 ms, timed until `ZSCORE` shows it (includes the HTTP control call).",
    "- received/sent: ingest's `trades_received` delta vs the simulator's `eventsSent` delta. Commands/trade: `INFO commandstats` delta (all commands incl. those run inside BullMQ's Lua scripts, minus the bench's own ZSCORE/INFO/LLEN) / trades sent.",
    '- CPU: utime+stime delta from /proc/<pid>/stat, in % of one core. Peak RSS: max of VmHWM and the 1 s VmRSS samples, MiB.',
    '- sustained: the simulator delivered ≥ 97 % of the rate, ingest received ≥ 99.5 % of it without reconnects, freshness p99 and probe p99 < 250 ms.',
    '',
    `| rate | sent/s | received | eligible/s | ZADD members/s | jobs/s | freshness p50 / p99 ms | probe p50 / p99 ms | cmds/trade | ${procNames.map(p => `${p} CPU % / peak RSS MiB`).join(' | ')} | sustained |`,
    `|---|---|---|---|---|---|---|---|---|${procNames.map(() => '---').join('|')}|---|`,
    ...steps.map(
      st =>
        `| ${fmtInt(st.rate)} | ${fmtInt(st.simSentPerSec)} | ${fmt(st.receivedVsSent * 100, 2)} % | ${fmtInt(st.eligiblePerSec)} | ${fmtInt(st.tickUpdatesPerSec)} | ${fmt(st.batchesPerSec, 1)} | ${fmt(st.freshnessMs?.p50 ?? NaN, 0)} / ${fmt(st.freshnessMs?.p99 ?? NaN, 0)} | ${fmt(st.probeMs.p50, 0)} / ${fmt(st.probeMs.p99, 0)} | ${fmt(st.redisCommandsPerTrade, 5)} | ${procNames.map(p => `${fmt(st.procs[p]?.cpuPercent ?? NaN, 0)} / ${fmt(st.procs[p]?.peakRssMiB ?? NaN, 0)}`).join(' | ')} | ${st.sustained ? 'yes' : `no: ${st.why.join('; ')}`} |`,
    ),
    '',
    `**Highest rate sustained for ${seconds} s with freshness p99 < 250 ms: ${best ? `${fmtInt(best.rate)} trades/s` : 'none'}** — target ≥ ${fmtInt(target)}: ${met ? 'met' : 'missed'}.`,
    '',
    ...steps.map(
      st =>
        `Redis commands during ${fmtInt(st.rate)}/s (${fmt(st.seconds, 0)} s): ${Object.entries(
          st.redisCommands,
        )
          .slice(0, 12)
          .map(([k, v]) => `${k} ${fmtInt(v)}`)
          .join(', ')}.`,
    ),
    '',
  ].join('\n');
  return {
    data: {
      rates,
      seconds,
      warmSeconds: warm,
      frameMax: Number(frameMax),
      steps,
      highestSustained: best?.rate ?? 0,
      target: { rate: target, met },
    },
    markdown: md,
    problems,
    summary: `highest sustained ${fmtInt(best?.rate ?? 0)} trades/s (target ≥ 300 000: ${met ? 'met' : 'MISSED'}); ${steps.map(s => `${fmtInt(s.rate)}: p99 ${fmt(s.freshnessMs?.p99 ?? s.probeMs.p99, 0)} ms${s.sustained ? '' : ' ✗'}`).join(', ')}`,
  };
}
