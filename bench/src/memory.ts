import { sumOf } from '@tickpulse/service-kit';
import type { BenchContext, BenchOutcome } from './context.js';
import { memory, postJson, scrape } from './procs.js';
import {
  built,
  INGEST_MAIN,
  namespaces,
  startBenchRedis,
  startIngest,
  startSim,
  startTickWriter,
} from './stack.js';
import { fmt, fmtInt } from './stats.js';

interface Sample {
  t: number;
  phase: 'before' | 'outage' | 'after';
  rssMiB: number;
  pending: number;
  received: number;
  published: number;
  failures: number;
  simSent: number;
  /** Connections the simulator accepted so far (a reconnect adds one). */
  simConnections: number;
  /** Connections the simulator cut because the client fell 64 MiB behind. */
  slowConsumerKills: number;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Benchmark 5: ingest RSS through a Redis outage while the stream runs at full rate. */
export async function runMemory(ctx: BenchContext): Promise<BenchOutcome> {
  if (!built(INGEST_MAIN))
    return {
      data: null,
      markdown: '',
      problems: [],
      summary: '',
      skipped: 'apps not built',
    };
  const rate = Number(
    ctx.opts['memory-rate'] ?? (ctx.quick ? 20_000 : 300_000),
  );
  const outageS = Number(ctx.opts['outage-seconds'] ?? (ctx.quick ? 10 : 300));
  const beforeS = ctx.quick ? 3 : 20;
  const afterS = ctx.quick ? 5 : 30;
  const frameMax = ctx.opts['frame-max'] ?? '50';
  // The lease outlives the outage: with the default 5 s TTL the leader closes
  // its socket ¾ TTL into an outage (HA safety), which would hide the
  // coalescing bound this benchmark is about.
  // The last renewal can be up to TTL/3 before the outage and the leader
  // steps down ¾ TTL after it: TTL must exceed 2.4 × the outage.
  const leaseTtl = String(Math.max(60_000, (3 * outageS + 60) * 1000));
  // An outage, not a data loss: with an append-only file the restarted server
  // still holds the lease and TICKPULSE:EPOCH, as a production Redis with
  // persistence does. Without it ingest would (rightly) treat the restart as a
  // data loss, give up the lease and wait ¾ of this long TTL before streaming
  // again — a different scenario (the data-loss tests cover it).
  const redis = await startBenchRedis(['--appendonly', 'yes']);
  const ns = namespaces();
  const sim = await startSim(
    ctx.workDir,
    { SIM_MAX_EVENTS_PER_FRAME: frameMax },
    'polygon-sim-memory',
  );
  const ingest = await startIngest(ctx.workDir, {
    wsUrl: sim.ws,
    redisUrl: redis.url,
    ...ns,
    env: { LEASE_TTL_MS: leaseTtl, PUBLISH_TIMEOUT_MS: '2000' },
    nodeArgs:
      ctx.opts.profile === 'ingest'
        ? ['--cpu-prof', `--cpu-prof-dir=${ctx.workDir}`]
        : [],
  });
  // Drains the queue, or ingest's publisher would hold back at
  // TICKS_MAX_PENDING_JOBS before the outage even starts.
  const writer = await startTickWriter(ctx.workDir, {
    redisUrl: redis.url,
    ...ns,
  });
  const samples: Sample[] = [];
  const problems: string[] = [];
  let phase: Sample['phase'] = 'before';
  const t0 = Date.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const next = Date.now() + 1000;
      try {
        const m = await scrape(`${ingest.base}/metrics`);
        const st = (await (
          await fetch(`${sim.base}/control/stats`)
        ).json()) as {
          eventsSent: number;
          totalConnections: number;
          slowConsumerKills: number;
        };
        samples.push({
          t: (Date.now() - t0) / 1000,
          phase,
          rssMiB: memory(ingest.app.pid).rssMiB,
          pending: sumOf(m, 'tickpulse_ingest_pending_tickers'),
          received: sumOf(m, 'tickpulse_ingest_trades_received_total'),
          published: sumOf(m, 'tickpulse_ingest_batches_published_total'),
          failures: sumOf(m, 'tickpulse_ingest_publish_failures_total'),
          simSent: st.eventsSent,
          simConnections: st.totalConnections,
          slowConsumerKills: st.slowConsumerKills,
        });
      } catch (err) {
        ctx.log(`memory: sample failed: ${(err as Error).message}`);
      }
      await sleep(Math.max(0, next - Date.now()));
    }
  })();
  let resumedAfterS = NaN;
  try {
    await postJson(`${sim.base}/control/rate`, { rate });
    await sleep(beforeS * 1000);
    ctx.log(
      `memory: killing the private Redis for ${outageS} s at ${fmtInt(rate)} trades/s`,
    );
    phase = 'outage';
    await redis.server.kill();
    await sleep(outageS * 1000);
    phase = 'after';
    // Read before the restart: nothing can publish while Redis is down, and a
    // sample taken after it may already include the first flush.
    const publishedAtRestore = sumOf(
      await scrape(`${ingest.base}/metrics`),
      'tickpulse_ingest_batches_published_total',
    );
    const restoredAt = Date.now();
    await redis.server.start();
    await redis.refreshPid();
    for (;;) {
      const m = await scrape(`${ingest.base}/metrics`);
      if (
        sumOf(m, 'tickpulse_ingest_batches_published_total') >
        publishedAtRestore
      ) {
        resumedAfterS = (Date.now() - restoredAt) / 1000;
        break;
      }
      if (Date.now() - restoredAt > 60_000) break;
      await sleep(100);
    }
    ctx.log(
      `memory: publishing resumed ${fmt(resumedAfterS, 1)} s after Redis came back`,
    );
    await sleep(afterS * 1000);
    await postJson(`${sim.base}/control/rate`, { rate: 0 });
  } finally {
    sampling = false;
    await sampler;
    await ingest.app.stop();
    await writer.app.stop();
    await sim.app.stop();
    await redis.close();
  }
  const by = (p: Sample['phase']) => samples.filter(s => s.phase === p);
  const before = by('before');
  const outage = by('outage');
  const after = by('after');
  const rss = (xs: Sample[]) => xs.map(s => s.rssMiB);
  const startRss = before[before.length - 1]?.rssMiB ?? NaN;
  const peakOutage = Math.max(...rss(outage));
  const endOutage = outage[outage.length - 1]?.rssMiB ?? NaN;
  const endRss = after[after.length - 1]?.rssMiB ?? NaN;
  const peakPending = Math.max(...outage.map(s => s.pending));
  // Is ingest still reading at full rate during the outage?
  const o0 = outage[0];
  const o1 = outage[outage.length - 1];
  const outageSecs = o0 && o1 ? o1.t - o0.t : NaN;
  const receivedRate =
    o0 && o1 ? (o1.received - o0.received) / outageSecs : NaN;
  const sentRate = o0 && o1 ? (o1.simSent - o0.simSent) / outageSecs : NaN;
  // Second half of the outage vs first half: flat means no growth trend.
  const half = Math.floor(outage.length / 2);
  const firstHalfMax = Math.max(...rss(outage.slice(0, half)));
  const secondHalfMax = Math.max(...rss(outage.slice(half)));
  const kills =
    (o1?.slowConsumerKills ?? 0) -
    (before[before.length - 1]?.slowConsumerKills ?? 0);
  const reconnects =
    (o1?.simConnections ?? 0) -
    (before[before.length - 1]?.simConnections ?? 0);
  const failures =
    (o1?.failures ?? 0) - (before[before.length - 1]?.failures ?? 0);
  if (!Number.isFinite(resumedAfterS))
    problems.push('publishing did not resume after Redis came back');
  if (!(receivedRate > 0))
    problems.push('ingest received nothing during the outage');
  if (before.length === 0 || outage.length === 0)
    problems.push('no RSS samples');
  const bounded = secondHalfMax <= firstHalfMax * 1.1 + 5;
  const series = samples
    .filter((_, i) => i % Math.max(1, Math.floor(samples.length / 40)) === 0)
    .map(
      s =>
        `| ${fmt(s.t, 0)} | ${s.phase} | ${fmt(s.rssMiB, 1)} | ${fmtInt(s.pending)} | ${fmtInt(s.published)} | ${fmtInt(s.failures)} |`,
    );
  const md = [
    '## Setup',
    '',
    `polygon-sim at ${fmtInt(rate)} trades/s (SIM_MAX_EVENTS_PER_FRAME=${frameMax}) → \`node ${INGEST_MAIN}\` → private redis-server (append-only file on) → tick-writer. After ${beforeS} s the private Redis is SIGKILLed for ${outageS} s, then started again from its append-only file, so the lease and the queue survive as in a production Redis with persistence (a restart that loses the data is a different case: ingest then hands the lease over, see the data-loss tests); the stream keeps running throughout. Ingest RSS (/proc VmRSS), pending tickers and publish counters are sampled every second.`,
    '',
    `ingest runs with LEASE_TTL_MS=${leaseTtl} and PUBLISH_TIMEOUT_MS=2000. With the default 5 s lease, a leader that cannot renew closes its Polygon socket ¾ TTL into an outage so that two replicas never hold the account; memory is then trivially flat because nothing is read. The long lease keeps the socket reading at full rate through the whole outage, which is the case that tests the coalescing bound (failed batches merged back, one entry per ticker).`,
    '',
    '| | value |',
    '|---|---|',
    `| RSS before the outage (MiB) | ${fmt(startRss, 1)} |`,
    `| peak RSS during the outage (MiB) | ${fmt(peakOutage, 1)} |`,
    `| RSS at the end of the outage (MiB) | ${fmt(endOutage, 1)} |`,
    `| RSS ${afterS} s after restore (MiB) | ${fmt(endRss, 1)} |`,
    `| max RSS first half / second half of the outage (MiB) | ${fmt(firstHalfMax, 1)} / ${fmt(secondHalfMax, 1)} |`,
    `| peak pending tickers | ${fmtInt(peakPending)} (universe: 10 000) |`,
    `| trades received/s during the outage (sim sent/s) | ${fmtInt(receivedRate)} (${fmtInt(sentRate)}) |`,
    `| publish failures during the outage | ${fmtInt(failures)} |`,
    `| slow-consumer disconnects / reconnections during the outage | ${fmtInt(kills)} / ${fmtInt(reconnects)} |`,
    `| publishing resumed after restore | ${fmt(resumedAfterS, 1)} s |`,
    '',
    `**RSS ${bounded ? 'stays flat (bounded)' : 'GREW'} through the ${outageS} s outage** (peak ${fmt(peakOutage, 1)} MiB vs ${fmt(startRss, 1)} MiB before).`,
    '',
    `Reading during the outage: ${fmtInt(receivedRate)} trades/s received (${fmt((receivedRate / rate) * 100, 1)} % of the offered rate; the simulator sent ${fmtInt(sentRate)}/s), ${fmt(failures / outageSecs, 1)} failed publish attempts/s, ${fmtInt(kills)} slow-consumer disconnects. Below the offered rate, compare with the rate before the outage in memory.json (samples) to tell an outage effect from the machine's CPU limit.\n`,
    '### RSS over time (subsampled)',
    '',
    '| t (s) | phase | RSS MiB | pending tickers | batches published | publish failures |',
    '|---|---|---|---|---|---|',
    ...series,
    '',
  ].join('\n');
  return {
    data: {
      rate,
      outageSeconds: outageS,
      leaseTtlMs: Number(leaseTtl),
      startRss,
      peakOutage,
      endOutage,
      endRss,
      firstHalfMax,
      secondHalfMax,
      peakPending,
      receivedRate,
      sentRate,
      failures,
      kills,
      reconnects,
      resumedAfterS,
      bounded,
      samples,
    },
    markdown: md,
    problems,
    summary: `ingest RSS ${fmt(startRss, 0)} → peak ${fmt(peakOutage, 0)} → ${fmt(endRss, 0)} MiB through a ${outageS} s outage at ${fmtInt(receivedRate)} trades/s received (${bounded ? 'flat' : 'GREW'}); pending ≤ ${fmtInt(peakPending)}; publishing resumed ${fmt(resumedAfterS, 1)} s after restore`,
  };
}
