import {
  BACKEND_POLICY,
  checkConditions,
  parseRestJson,
} from '@tickpulse/polygon';
import { sumOf } from '@tickpulse/service-kit';
import type { BenchContext, BenchOutcome } from './context.js';
import { postJson, scrape } from './procs.js';
import {
  built,
  INGEST_MAIN,
  namespaces,
  startBenchRedis,
  startIngest,
  startSim,
  startTickWriter,
  TICK_WRITER_MAIN,
} from './stack.js';
import { fmt, fmtInt } from './stats.js';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * The newest eligible print (ms) per ticker by the simulator's own REST
 * history, read over every ticker's whole history: what TICK:UPD must hold
 * once the gap is healed (the stream adds nothing new: the rate is 0).
 */
async function oracle(
  base: string,
  symbols: string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < symbols.length) {
      const sym = symbols[next++]!;
      const res = await fetch(
        `${base}/v3/trades/${encodeURIComponent(sym)}?limit=50000`,
        { headers: { authorization: 'Bearer bench' } },
      );
      const body = parseRestJson(await res.text()) as {
        results: { sip_timestamp: string; conditions?: number[] }[];
      };
      for (const row of body.results) {
        if (checkConditions(BACKEND_POLICY, row.conditions).excludedBy >= 0)
          continue;
        const ms = Number(BigInt(row.sip_timestamp) / 1_000_000n);
        if (ms > (out.get(sym) ?? 0)) out.set(sym, ms);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return out;
}

/**
 * Benchmark 6: a 10 s gap in a 10 000-ticker market (ingest SIGKILLed while
 * the market goes on), healed from the simulator's REST endpoints by the
 * restarted ingest: time from its reconnect to TICK:UPD exact, and the REST
 * requests it took.
 */
export async function runGap(ctx: BenchContext): Promise<BenchOutcome> {
  if (!built(INGEST_MAIN) || !built(TICK_WRITER_MAIN))
    return {
      data: null,
      markdown: '',
      problems: [],
      summary: '',
      skipped: 'apps not built',
    };
  const rate = Number(ctx.opts['gap-rate'] ?? (ctx.quick ? 1000 : 2000));
  const gapS = Number(ctx.opts['gap-seconds'] ?? 10);
  const problems: string[] = [];
  const redis = await startBenchRedis();
  const ns = namespaces();
  const sim = await startSim(
    ctx.workDir,
    { SIM_TICKERS: '10000', SIM_MAX_EVENTS_PER_FRAME: '50' },
    'polygon-sim-gap',
  );
  const ingestEnv = { LEASE_TTL_MS: '1000', LEASE_POLL_MS: '200' };
  const opts = { wsUrl: sim.ws, redisUrl: redis.url, ...ns, env: ingestEnv };
  const writer = await startTickWriter(ctx.workDir, {
    redisUrl: redis.url,
    ...ns,
  });
  let ingest = await startIngest(ctx.workDir, opts);
  const key = `${ns.keyPrefix}TICK:UPD`;
  // Filled in as the run goes; NaN/-1 = that stage was not reached.
  const r = {
    healedAfterS: NaN,
    mismatches: -1,
    oracleSize: 0,
    beforeGap: 0,
    requests: NaN,
  };
  try {
    await postJson(`${sim.base}/control/rate`, { rate });
    await sleep(3000);
    r.beforeGap = await redis.client.zcard(key);
    const killedAt = Date.now();
    ingest.app.proc.kill('SIGKILL');
    await new Promise(r => ingest.app.proc.once('exit', r));
    ctx.log(`gap: ingest SIGKILLed, market goes on for ${gapS} s`);
    await sleep(gapS * 1000);
    // From here on the stream adds nothing: what TICK:UPD still lacks can
    // only come from REST.
    await postJson(`${sim.base}/control/rate`, { rate: 0 });
    const stats = (await (await fetch(`${sim.base}/control/stats`)).json()) as {
      historyPrints: number;
    };
    const symbols = (
      parseRestJson(
        await (
          await fetch(
            `${sim.base}/v2/snapshot/locale/us/markets/stocks/tickers`,
            { headers: { authorization: 'Bearer bench' } },
          )
        ).text(),
      ) as { tickers: { ticker: string }[] }
    ).tickers.map(t => t.ticker);
    const want = await oracle(sim.base, symbols);
    r.oracleSize = want.size;
    ctx.log(
      `gap: oracle from ${fmtInt(stats.historyPrints)} remembered prints: ${fmtInt(want.size)} tickers`,
    );
    ingest = await startIngest(ctx.workDir, opts);
    const reconnected = Date.now();
    const differ: [string, number | undefined, number | undefined][] = [];
    for (;;) {
      const flat = await redis.client.zrange(key, '0', '-1', 'WITHSCORES');
      const have = new Map<string, number>();
      for (let j = 0; j < flat.length; j += 2)
        have.set(flat[j]!, Number(flat[j + 1]));
      differ.length = 0;
      for (const [sym, ms] of want)
        if (have.get(sym) !== ms) differ.push([sym, ms, have.get(sym)]);
      for (const [sym, ms] of have)
        if (!want.has(sym)) differ.push([sym, undefined, ms]);
      r.mismatches = differ.length;
      if (r.mismatches === 0) {
        r.healedAfterS = (Date.now() - reconnected) / 1000;
        break;
      }
      if (Date.now() - reconnected > 60_000) {
        ctx.log(
          `gap: still differing (ticker, oracle, TICK:UPD; killed at ${killedAt}): ${JSON.stringify(differ.slice(0, 10))}`,
        );
        break;
      }
      await sleep(50);
    }
    const m = await scrape(`${ingest.base}/metrics`);
    r.requests = sumOf(m, 'tickpulse_ingest_rest_requests_total');
  } finally {
    await ingest.app.stop();
    await writer.app.stop();
    await sim.app.stop();
    await redis.close();
  }
  if (!Number.isFinite(r.healedAfterS))
    problems.push(
      `TICK:UPD not exact 60 s after the reconnect (${r.mismatches} tickers differ)`,
    );
  const md = [
    '## Setup',
    '',
    `polygon-sim (10 000 tickers, ${fmtInt(rate)} trades/s, realistic condition mix) → \`node ${INGEST_MAIN}\` → tick-writer → private redis-server. After 3 s ingest is SIGKILLed; the market goes on for ${gapS} s; then the simulator's rate drops to 0, so whatever TICK:UPD still lacks can only come from REST, and a new ingest starts (it finds the watermark and backfills: one snapshot plus \`/v3/trades\` for tickers whose last print is not eligible). The oracle is every ticker's newest eligible print (backend policy) by the simulator's own REST history.`,
    '',
    '| | value |',
    '|---|---|',
    `| TICK:UPD members before the gap | ${fmtInt(r.beforeGap)} |`,
    `| tickers in the oracle | ${fmtInt(r.oracleSize)} |`,
    `| reconnect → TICK:UPD exact | ${fmt(r.healedAfterS, 2)} s |`,
    `| REST requests (attempts) | ${fmtInt(r.requests)} |`,
    '',
  ].join('\n');
  return {
    data: { rate, gapSeconds: gapS, ...r },
    markdown: md,
    problems,
    summary: `${gapS} s gap, 10 000 tickers at ${fmtInt(rate)} trades/s: TICK:UPD exact ${fmt(r.healedAfterS, 2)} s after the reconnect with ${fmtInt(r.requests)} REST requests`,
  };
}
