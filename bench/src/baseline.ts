import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext, BenchOutcome } from './context.js';
import type { StepResult } from './e2e.js';
import {
  commandDelta,
  cpuSeconds,
  parseCommandStats,
  postJson,
  spawnApp,
  type App,
} from './procs.js';
import { RESULTS_DIR } from './results.js';
import { waitFor } from '@tickpulse/testkit';
import {
  built,
  INGEST_MAIN,
  namespaces,
  startBenchRedis,
  startSim,
} from './stack.js';
import { fmt, fmtInt, summarize } from './stats.js';

interface ClientStats {
  frames: number;
  trades: number;
  eligible: number;
  zadds: number;
  closed: boolean;
  closeCode: number;
  at: number;
}

function readStats(file: string): ClientStats | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClientStats;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Benchmark 3: the Go backend's one-awaited-ZADD-per-trade design on the same stream. */
export async function runBaseline(ctx: BenchContext): Promise<BenchOutcome> {
  if (!built(INGEST_MAIN))
    return {
      data: null,
      markdown: '',
      problems: [],
      summary: '',
      skipped: 'apps not built',
    };
  const seconds = Number(ctx.opts['baseline-seconds'] ?? (ctx.quick ? 3 : 20));
  const rounds = ctx.quick ? 1 : 3;
  const frameMax = ctx.opts['frame-max'] ?? '50';
  const redis = await startBenchRedis();
  const { keyPrefix } = namespaces();
  const key = `${keyPrefix}TICK:UPD`;
  const sim = await startSim(
    ctx.workDir,
    { SIM_MAX_EVENTS_PER_FRAME: frameMax },
    'polygon-sim-baseline',
  );
  const problems: string[] = [];
  const runs: {
    offeredRate: number;
    tradesPerSec: number;
    eligiblePerSec: number;
    zaddPerSec: number;
    commandsPerTrade: number;
    clientCpuPercent: number;
    redisCpuPercent: number;
    disconnected: boolean;
  }[] = [];
  let client: App | undefined;
  const startClient = async (n: number) => {
    const statsFile = join(ctx.workDir, `baseline-${n}.json`);
    const app = spawnApp(
      `baseline-client-${n}`,
      'bench/dist/baseline-client.js',
      { WS_URL: sim.ws, REDIS_URL: redis.url, KEY: key, STATS_FILE: statsFile },
      ctx.workDir,
    );
    return { app, statsFile };
  };
  // The client is ready when the simulator counts a subscribed connection
  // and the client has written its first stats.
  const waitSubscribed = (statsFile: string) =>
    waitFor(
      async () => {
        const st = (await (
          await fetch(`${sim.base}/control/stats`)
        ).json()) as { subscribed: number };
        return st.subscribed >= 1 && readStats(statsFile) !== null;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: 'baseline client subscribed',
      },
    );
  try {
    // Capacity estimate: offer several times what the loop can take for 3 s
    // (not so much that the sender's 64 MiB slow-consumer limit is hit).
    let c = await startClient(0);
    client = c.app;
    await waitSubscribed(c.statsFile);
    await postJson(`${sim.base}/control/rate`, { rate: 60_000 });
    await sleep(1000);
    const e0 = readStats(c.statsFile);
    await sleep(3000);
    const e1 = readStats(c.statsFile);
    await postJson(`${sim.base}/control/rate`, { rate: 0 });
    await client.stop();
    const estimate =
      e0 && e1 ? ((e1.trades - e0.trades) * 1000) / (e1.at - e0.at) : 0;
    ctx.log(`baseline: capacity estimate ${fmtInt(estimate)} trades/s`);
    if (!(estimate > 0)) problems.push('baseline client processed nothing');
    // Saturated runs: offer 1.25× the estimate (the loop stays busy, the sender's buffer grows slowly).
    const offered = Math.max(1000, Math.round(estimate * 1.25));
    for (let r = 1; r <= rounds && estimate > 0; r++) {
      c = await startClient(r);
      client = c.app;
      await waitSubscribed(c.statsFile);
      await postJson(`${sim.base}/control/rate`, { rate: offered });
      await sleep(2000);
      const s0 = readStats(c.statsFile)!;
      const cmd0 = parseCommandStats(await redis.client.info('commandstats'));
      const cpuC0 = cpuSeconds(client.pid);
      const cpuR0 = cpuSeconds(redis.pid);
      await sleep(seconds * 1000);
      const s1 = readStats(c.statsFile)!;
      const cmd1 = parseCommandStats(await redis.client.info('commandstats'));
      const secs = (s1.at - s0.at) / 1000;
      const cpuC = ((cpuSeconds(client.pid) - cpuC0) / secs) * 100;
      const cpuR = ((cpuSeconds(redis.pid) - cpuR0) / secs) * 100;
      await postJson(`${sim.base}/control/rate`, { rate: 0 });
      await client.stop();
      const cmds = commandDelta(cmd1, cmd0);
      const trades = s1.trades - s0.trades;
      const run = {
        offeredRate: offered,
        tradesPerSec: trades / secs,
        eligiblePerSec: (s1.eligible - s0.eligible) / secs,
        zaddPerSec: (s1.zadds - s0.zadds) / secs,
        commandsPerTrade: trades > 0 ? (cmds.get('zadd') ?? 0) / trades : NaN,
        clientCpuPercent: cpuC,
        redisCpuPercent: cpuR,
        disconnected: s1.closed,
      };
      runs.push(run);
      ctx.log(
        `baseline round ${r}: ${fmtInt(run.tradesPerSec)} trades/s, ${fmtInt(run.zaddPerSec)} ZADD/s, ${fmt(run.commandsPerTrade, 3)} cmds/trade, client CPU ${fmt(cpuC, 0)} %, redis CPU ${fmt(cpuR, 0)} %`,
      );
      if (!(run.tradesPerSec > 0)) problems.push(`round ${r}: zero throughput`);
      if (run.zaddPerSec <= 0) problems.push(`round ${r}: no ZADD`);
    }
    // Results must be real: the key holds tickers.
    if ((await redis.client.zcard(key)) === 0)
      problems.push('baseline wrote no TICK:UPD members');
  } finally {
    await client?.stop();
    await sim.app.stop();
    await redis.close();
  }
  const tput = summarize(runs.map(r => r.tradesPerSec));
  const cpt = summarize(runs.map(r => r.commandsPerTrade));

  // tickpulse's numbers: from the e2e run in this invocation, else the recorded full run.
  let e2e = ctx.earlier['e2e'] as
    { steps: StepResult[]; highestSustained: number } | undefined;
  let e2eSource = 'this run';
  if (!e2e && existsSync(join(RESULTS_DIR, 'e2e.json'))) {
    e2e = (
      JSON.parse(readFileSync(join(RESULTS_DIR, 'e2e.json'), 'utf8')) as {
        results: typeof e2e;
      }
    ).results;
    e2eSource = 'bench/results/e2e.json (recorded full run)';
  }
  const peak = e2e?.steps.find(s => s.rate === e2e!.highestSustained) ?? null;
  const ratio =
    e2e && tput.median > 0 ? e2e.highestSustained / tput.median : NaN;
  const tpCmds = peak?.redisCommandsPerTrade ?? NaN;
  const throughputMet = ratio >= 20;
  const cmdsMet = tpCmds <= 0.01;
  const md = [
    '## Setup',
    '',
    `The Go backend's design rebuilt in \`bench/src/baseline-client.ts\` (its own process): one WebSocket read loop to the same simulator (SIM_MAX_EVENTS_PER_FRAME=${frameMax}, regular-hours mix), \`JSON.parse\` per frame, and for every trade \`shouldUpdatePrice\` allows, an awaited \`ZADD TICK:UPD <ms> <ticker>\` before the next one (ioredis on loopback to a private redis-server). The socket is paused while frames wait, as Go's blocking read would push back. Capacity was estimated by offering 60 000 trades/s for 3 s; each of ${rounds} rounds then offered 1.25× that (${fmtInt(runs[0]?.offeredRate ?? 0)} trades/s) to a fresh connection and measured ${seconds} s after a 2 s warm-up. Commands/trade: \`INFO commandstats\` ZADD delta / trades read.`,
    '',
    '| round | trades/s | eligible/s | ZADD/s | cmds/trade | client CPU % | redis CPU % |',
    '|---|---|---|---|---|---|---|',
    ...runs.map(
      (r, i) =>
        `| ${i + 1} | ${fmtInt(r.tradesPerSec)} | ${fmtInt(r.eligiblePerSec)} | ${fmtInt(r.zaddPerSec)} | ${fmt(r.commandsPerTrade, 3)} | ${fmt(r.clientCpuPercent, 0)} | ${fmt(r.redisCpuPercent, 0)} |`,
    ),
    '',
    `Baseline throughput: median **${fmtInt(tput.median)} trades/s** (min ${fmtInt(tput.min)}, max ${fmtInt(tput.max)}), ${fmt(cpt.median, 3)} Redis commands per trade.`,
    '',
    `tickpulse (from ${e2eSource}): highest sustained ${e2e ? fmtInt(e2e.highestSustained) : 'n/a'} trades/s at ${fmt(tpCmds, 5)} Redis commands per trade (whole path: BullMQ job add incl. its Lua-invoked commands, tick-writer's job fetch/complete and ZADD GT chunks, ingest's lease renewals).`,
    '',
    '| | baseline | tickpulse | ratio | target | |',
    '|---|---|---|---|---|---|',
    `| throughput (trades/s) | ${fmtInt(tput.median)} | ${e2e ? fmtInt(e2e.highestSustained) : 'n/a'} | ${fmt(ratio, 1)}× | ≥ 20× | ${throughputMet ? 'met' : 'missed'} |`,
    `| Redis commands per trade | ${fmt(cpt.median, 3)} | ${fmt(tpCmds, 5)} | ${fmt(cpt.median / tpCmds, 0)}× fewer | ≤ 0.01 | ${cmdsMet ? 'met' : 'missed'} |`,
    '',
  ].join('\n');
  return {
    data: {
      runs,
      baselineTradesPerSec: tput,
      baselineCommandsPerTrade: cpt,
      tickpulse: {
        source: e2eSource,
        highestSustained: e2e?.highestSustained ?? null,
        commandsPerTrade: tpCmds,
      },
      ratio,
      targets: {
        throughputRatio: 20,
        throughputMet,
        commandsPerTrade: 0.01,
        commandsMet: cmdsMet,
      },
    },
    markdown: md,
    problems,
    summary: `baseline ${fmtInt(tput.median)} trades/s, ${fmt(cpt.median, 3)} cmds/trade; tickpulse ${e2e ? fmtInt(e2e.highestSustained) : 'n/a'} trades/s (${fmt(ratio, 1)}×, target ≥ 20×: ${throughputMet ? 'met' : 'MISSED'}), ${fmt(tpCmds, 5)} cmds/trade (target ≤ 0.01: ${cmdsMet ? 'met' : 'MISSED'})`,
  };
}
