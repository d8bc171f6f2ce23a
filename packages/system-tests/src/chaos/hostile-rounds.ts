import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseStrategyId } from '@tickpulse/contracts';
import { TEST_DATABASE_URL, waitFor } from '@tickpulse/testkit';
import { Client } from 'pg';
import type { AppProcess } from '../harness.js';
import { deployMemoryLimit } from './deploy-limits.js';
import type { Fault, FaultContext } from './fault.js';
import { checkUniverses } from './invariants.js';
import { createRssSampler, toMiB } from './rss-sampler.js';
import type { ChaosStack } from './stack.js';

/**
 * Runs `act` while sampling every process's RSS four times a second (the
 * background sampler's once a second would miss a short spike), then throws
 * when any process peaked above its app's deploy memory limit.
 */
async function underDeployLimits(
  { stack }: FaultContext,
  ev: string[],
  act: () => Promise<void>,
): Promise<void> {
  const rss = createRssSampler(stack.system);
  rss.sample();
  const timer = setInterval(() => rss.sample(), 250);
  try {
    await act();
  } finally {
    clearInterval(timer);
    rss.sample();
  }
  const over: string[] = [];
  const peaks: string[] = [];
  for (const [name, bytes] of rss.max) {
    const p = stack.system.all().find(q => q.name === name);
    if (!p) continue;
    const limit = deployMemoryLimit(p.app);
    peaks.push(`${name} ${toMiB(bytes)}/${toMiB(limit)}`);
    if (bytes > limit)
      over.push(`${name} ${toMiB(bytes)} MiB > ${toMiB(limit)} MiB`);
  }
  if (over.length > 0)
    throw new Error(`RSS above the deploy limit: ${over.join(', ')}`);
  ev.push(
    `peak RSS MiB (limit from deploy/base) over ${rss.samples()} samples: ${peaks.join(', ')}`,
  );
}

/** Waits until no `ticks` job waits, runs or is delayed: TICK:UPD has all of it. */
async function ticksDrained(stack: ChaosStack): Promise<void> {
  await waitFor(
    async () =>
      Object.values(
        await stack.ticksQueue.getJobCounts(
          'wait',
          'active',
          'delayed',
          'prioritized',
        ),
      ).every(n => n === 0),
    { timeoutMs: 120_000, intervalMs: 250, what: 'ticks queue drained' },
  );
}

/** Scores of `members` in TICK:UPD (null when absent), in chunks. */
async function scores(
  stack: ChaosStack,
  members: readonly string[],
): Promise<(number | null)[]> {
  const out: (number | null)[] = [];
  for (let i = 0; i < members.length; i += 5000) {
    const s = await stack.redis.zmscore(
      stack.keys.tickUpd(),
      ...members.slice(i, i + 5000),
    );
    out.push(...s.map(v => (v === null ? null : Number(v))));
  }
  return out;
}

/** Every round ticker and marker present in TICK:UPD now, with its score. */
async function storedRoundTickers(
  ctx: FaultContext,
): Promise<Map<string, number>> {
  const members = ctx.load.rounds.flatMap(r => [...r.tickers, r.marker]);
  const got = await scores(ctx.stack, members);
  const out = new Map<string, number>();
  members.forEach((m, i) => {
    if (got[i] !== null && got[i] !== undefined) out.set(m, got[i]);
  });
  return out;
}

/** Frames of 500 trades, one per flood symbol, all at `t`. */
function floodFrames(symbols: readonly string[], t: number): unknown[][] {
  const frames: unknown[][] = [];
  for (let i = 0; i < symbols.length; i += 500)
    frames.push(
      symbols.slice(i, i + 500).map((sym, k) => ({
        ev: 'T',
        sym,
        x: 4,
        i: String(k),
        z: 3,
        p: 1,
        s: 100,
        t,
        q: i + k,
      })),
    );
  return frames;
}

/**
 * Sends the pathological frames, then the flood in slices (so the
 * simulator's send buffer stays small), each slice read before the next.
 */
async function sendHostileFeed(
  stack: ChaosStack,
  leader: AppProcess,
  flood: readonly string[],
  t: number,
): Promise<void> {
  const invalid = (reason: string) =>
    leader.metric('tickpulse_ingest_invalid_total', { reason });
  const deep0 = await invalid('frame_too_deep');
  const large0 = await invalid('frame_too_large');
  // 2 MB of nested brackets (JSON.parse held the loop 8–11 s on 20 MB of
  // them), then 6 MB: past MAX_FRAME_BYTES (4 MiB), below ws's 4× limit.
  stack.sim.sendFrames(['['.repeat(1_000_000) + ']'.repeat(1_000_000)]);
  stack.sim.sendFrames([`["${'x'.repeat(6_000_000)}"]`]);
  await waitFor(
    async () =>
      (await invalid('frame_too_deep')) > deep0 &&
      (await invalid('frame_too_large')) > large0,
    { timeoutMs: 60_000, intervalMs: 200, what: 'both frames refused' },
  );
  const received = () =>
    leader.metric('tickpulse_ingest_trades_received_total');
  const r0 = await received();
  for (let i = 0; i < flood.length; i += 10_000) {
    const slice = flood.slice(i, i + 10_000);
    stack.sim.sendFrames(floodFrames(slice, t));
    const want = r0 + i + slice.length;
    await waitFor(async () => (await received()) >= want, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: `flood read up to ${want - r0}`,
    });
  }
}

/**
 * The hostile feed of issue 23: a frame nested past the depth bound, one
 * past the size bound, then a flood of distinct valid-looking symbols
 * `floodSymbols` (a multiple of ingest's `MAX_TICKERS`). The stream carries
 * nothing else meanwhile (rate 0, rounds REST-only), so the oracle is exact:
 * the leader accepts the first `MAX_TICKERS − known` flood symbols, refuses
 * every other one (none of them reaches TICK:UPD), and no ticker stored
 * before moves or vanishes. The flooded leader is full for the rest of its
 * life, so the round ends as an operator would: it is restarted, the
 * standby takes over and heals the rounds sent meanwhile from REST.
 */
export const HOSTILE_FEED: Fault = {
  name: 'hostile-feed',
  what: 'the feed sends a frame nested 1 M deep, a 6 MB frame, then distinct new symbols 2.5× MAX_TICKERS; the flooded leader is restarted',
  async inject(ctx, ev) {
    const { stack, load } = ctx;
    const cap = stack.settings.ingestMaxTickers;
    const leader = await waitFor(stack.leader, {
      timeoutMs: 30_000,
      what: 'an ingest leader',
    });
    load.feedPaused = true;
    stack.sim.setRate(0);
    try {
      // Frames already on their way are read and stored before counting.
      await sleep(1000);
      await waitFor(
        async () =>
          (await leader.metric('tickpulse_ingest_pending_tickers')) === 0,
        { timeoutMs: 60_000, what: 'the leader published what it held' },
      );
      await ticksDrained(stack);
      const before = await storedRoundTickers(ctx);
      const zcard0 = await stack.redis.zcard(stack.keys.tickUpd());
      const known0 = await leader.metric('tickpulse_ingest_known_tickers');
      const refused0 = await leader.metric(
        'tickpulse_ingest_tickers_refused_total',
      );
      const tag = randomBytes(2).toString('hex').toUpperCase();
      const flood = Array.from(
        { length: stack.settings.floodSymbols },
        (_, k) => `HF${tag}${k.toString(36).toUpperCase()}`,
      );
      const t = Date.now() - 2000;
      await underDeployLimits(ctx, ev, async () => {
        await sendHostileFeed(stack, leader, flood, t);
        await waitFor(
          async () =>
            (await leader.metric('tickpulse_ingest_pending_tickers')) === 0,
          { timeoutMs: 60_000, what: 'the flood published' },
        );
        await ticksDrained(stack);
      });
      const accepted = cap - known0;
      const known = await leader.metric('tickpulse_ingest_known_tickers');
      const refused =
        (await leader.metric('tickpulse_ingest_tickers_refused_total')) -
        refused0;
      if (known !== cap || refused !== flood.length - accepted)
        throw new Error(
          `known_tickers ${known} (cap ${cap}), refused ${refused}, expected ${flood.length - accepted}`,
        );
      await expectFloodOracle(ctx, ev, { flood, accepted, t, before, zcard0 });
      ev.push(
        `ingest_tickers_refused_total +${refused}, known_tickers ${known0} → ${known} (MAX_TICKERS ${cap})`,
      );
    } finally {
      load.feedPaused = false;
      stack.sim.setRate(stack.settings.simRate);
    }
    const exit = await leader.signal('SIGTERM');
    if (exit.code !== 0)
      throw new Error(`${leader.name} exited ${exit.code} on SIGTERM`);
    await leader.start();
  },
};

/**
 * TICK:UPD after the flood: exactly the accepted flood prefix was added, at
 * its trade time; no refused symbol; every round ticker stored before the
 * flood still there with the same score.
 */
async function expectFloodOracle(
  { stack }: FaultContext,
  ev: string[],
  o: {
    flood: readonly string[];
    accepted: number;
    t: number;
    before: ReadonlyMap<string, number>;
    zcard0: number;
  },
): Promise<void> {
  const got = await scores(stack, o.flood);
  const wrong = o.flood.filter(
    (s, i) => got[i] !== (i < o.accepted ? o.t : null),
  );
  const after = await scores(stack, [...o.before.keys()]);
  const moved = [...o.before].filter(([, s], i) => after[i] !== s);
  const zcard = await stack.redis.zcard(stack.keys.tickUpd());
  if (wrong.length > 0 || moved.length > 0 || zcard !== o.zcard0 + o.accepted)
    throw new Error(
      `TICK:UPD off the flood oracle: ${wrong.length} flood symbols wrong (${wrong.slice(0, 3).join(', ')}), ${moved.length} known tickers moved or evicted, ZCARD ${o.zcard0} → ${zcard} (expected +${o.accepted})`,
    );
  ev.push(
    `TICK:UPD ${o.zcard0} → ${zcard}: the ${o.accepted} flood symbols under the cap stored, ${o.flood.length - o.accepted} refused and absent, ${o.before.size} known tickers unmoved`,
  );
}

/** NOTIFY payloads: mostly ids of no strategy, some real ids, some garbage. */
function notifyPayloads(n: number, strategies: number): string[] {
  const garbage = [
    'x',
    '-5',
    '0',
    '1e3',
    '{"id":1}',
    ' 7',
    '',
    '3.5',
    '9'.repeat(30),
    'DROP TABLE strategies',
  ];
  return Array.from({ length: n }, (_, k) =>
    k % 10 === 0
      ? garbage[(k / 10) % garbage.length]!
      : k % 10 === 1
        ? String(1 + (k % strategies))
        : String(1_000_000 + k),
  );
}

/** Runs `act` as a fresh LOGIN role with no privilege on any table; drops it after. */
async function asHostileRole(
  stack: ChaosStack,
  act: (client: Client) => Promise<void>,
): Promise<void> {
  const role = `tp_chaos_notifier_${randomBytes(4).toString('hex')}`;
  await stack.pg.query(`CREATE ROLE ${role} LOGIN`);
  const url = new URL(TEST_DATABASE_URL);
  url.username = role;
  url.password = '';
  const client = new Client({ connectionString: url.toString() });
  try {
    await client.connect();
    // The point of the round: NOTIFY needs no privilege at all.
    const denied = await client
      .query(`SELECT 1 FROM ${stack.pgSchema}.strategies LIMIT 1`)
      .then(
        () => false,
        (err: { code?: string }) => err.code === '42501',
      );
    if (!denied) throw new Error(`${role} may read strategies`);
    await act(client);
  } finally {
    await client.end().catch(() => undefined);
    await stack.pg.query(`DROP ROLE ${role}`);
  }
}

/**
 * The NOTIFY flood of issue 23: a role that may not read `strategies`
 * NOTIFYs the strategies channel `notifyFlood` times (ids of no strategy,
 * repeats, garbage) while the edit stream goes on. universe-sync must keep
 * its queue bounded (past `NOTIFY_MAX_PENDING` ids, one reconcile), a real
 * edit committed after the flood must reach Redis through the trigger, and
 * once the edits pause every universe must equal the table.
 */
export const NOTIFY_FLOOD: Fault = {
  name: 'notify-flood',
  what: 'a role without SELECT on strategies sends NOTIFYs (ids of no strategy, repeats, garbage) on the strategies channel during edits',
  async inject(ctx, ev) {
    const { stack, load } = ctx;
    const usync = stack.apps.usync;
    const count = (result: string) =>
      stack.metricOr0(usync, 'tickpulse_universe_notifications_total', {
        result,
      });
    const results = [
      'invalid',
      'coalesced',
      'reconcile',
      'enqueued',
      'enqueue_failed',
    ];
    const before = await Promise.all(results.map(count));
    const edits0 = load.edits.edits();
    const mark = usync.lines.length;
    const payloads = notifyPayloads(
      stack.settings.notifyFlood,
      stack.settings.strategyCount,
    );
    // PostgreSQL delivers a payload once per transaction (one per batch of
    // 1000 here), however often it was sent in it.
    const batches: string[][] = [];
    for (let i = 0; i < payloads.length; i += 1000)
      batches.push([...new Set(payloads.slice(i, i + 1000))]);
    const delivered = batches.reduce((n, b) => n + b.length, 0);
    let peakWaiting = 0;
    await underDeployLimits(ctx, ev, () =>
      asHostileRole(stack, async client => {
        for (const batch of batches) {
          await client.query(
            'SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p',
            [stack.notifyChannel, batch],
          );
          const c = await stack.syncQueue.getJobCounts('wait', 'prioritized');
          peakWaiting = Math.max(peakWaiting, c.wait! + c.prioritized!);
        }
      }),
    );
    // The listener handles the NOTIFYs after the senders' commits: wait
    // until every one of them (and the edits' own) is counted.
    const counted = async () =>
      (await Promise.all(results.map(count))).reduce((a, b) => a + b, 0) -
      before.reduce((a, b) => a + b, 0);
    await waitFor(async () => (await counted()) >= delivered, {
      timeoutMs: 120_000,
      intervalMs: 250,
      what: 'every NOTIFY counted',
    });
    const after = await Promise.all(results.map(count));
    ev.push(
      `universe_notifications_total ${results.map((r, i) => `${r} +${after[i]! - before[i]!}`).join(', ')}; ${load.edits.edits() - edits0} edits meanwhile; at most ${peakWaiting} sync jobs waiting`,
    );
    const floodLines = usync.lines
      .slice(mark)
      .filter(l => /notification flood|not a strategy id/.test(String(l.msg)));
    ev.push(
      `${floodLines.length} flood/invalid warn lines for ${delivered} NOTIFYs delivered`,
    );
    const garbage = batches.flat().filter(p => !parseStrategyId(p).ok).length;
    if (after[0]! - before[0]! !== garbage)
      throw new Error(
        `${after[0]! - before[0]!} notifications counted invalid, ${garbage} sent`,
      );
    await realEditArrives(ctx, ev);
    await universesExact(ctx, ev);
  },
};

/** An edit committed after the flood reaches Redis through the trigger's NOTIFY alone. */
async function realEditArrives(
  { stack }: FaultContext,
  ev: string[],
): Promise<void> {
  // Beyond the ids the edit stream touches, so nothing else changes it.
  const id = stack.settings.strategyCount + 50;
  const universe = [`NF${randomBytes(2).toString('hex').toUpperCase()}`];
  const s = Date.now();
  await stack.strategies.upsert(id, true, universe);
  await waitFor(
    async () =>
      (await stack.redis.smembers(stack.keys.stratUniv(id))).join() ===
      universe.join(),
    {
      timeoutMs: 120_000,
      intervalMs: 100,
      what: 'the edit after the flood in Redis',
    },
  );
  ev.push(
    `an edit committed after the flood was in Redis after ${Date.now() - s} ms`,
  );
}

/** With the edits paused, one reconcile later every universe equals the table. */
async function universesExact(ctx: FaultContext, ev: string[]): Promise<void> {
  const { stack, load } = ctx;
  load.editsPaused = true;
  try {
    await load.editsIdle();
    const ok = () =>
      stack.metricOr0(
        stack.apps.usync,
        'tickpulse_universe_reconcile_runs_total',
        {
          result: 'ok',
        },
      );
    const runs = await ok();
    const res = await stack.api('/v1/reconcile', {
      body: JSON.stringify({ reason: 'chaos notify flood' }),
    });
    await waitFor(async () => (await ok()) > runs, {
      timeoutMs: 120_000,
      what: 'a reconcile after the flood',
    });
    // Sync jobs of the last edits may run after the reconcile; wait them out.
    await waitFor(
      async () =>
        Object.values(
          await stack.syncQueue.getJobCounts('wait', 'active', 'prioritized'),
        ).every(n => n === 0),
      {
        timeoutMs: 120_000,
        intervalMs: 250,
        what: 'universe-sync queue drained',
      },
    );
    const check = await checkUniverses(ctx, { reconcileStatus: res.status });
    if (!check.ok)
      throw new Error(`universes off after the flood: ${check.detail}`);
    ev.push(`universes exact: ${check.detail}`);
  } finally {
    load.editsPaused = false;
  }
}
