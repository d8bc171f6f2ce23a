/**
 * The fault-injection suite (issue 8): the whole system on this machine —
 * polygon-sim (in process, rate mode plus scripted oracle rounds), ingest ×2,
 * tick-writer, universe-sync (PostgreSQL through an in-process TCP proxy) —
 * under steady load and a stream of strategy edits, with faults injected one
 * after another and invariants checked at the end against oracles computed
 * from what was sent and committed.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPolygonSim, type PolygonSim } from '@tickpulse/polygon-sim';
import {
  createKeys,
  enqueueUniverseSync,
  publishTickBatch,
  QUEUE_NAMES,
} from '@tickpulse/shared';
import {
  TEST_DATABASE_URL,
  seededRandom,
  startPrivateRedis,
  testRedis,
  type PrivateRedis,
  uniqueName,
  uniquePrefix,
  waitFor,
} from '@tickpulse/testkit';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Client } from 'pg';
import {
  createSystem,
  REPO_ROOT,
  type AppProcess,
  type System,
} from './harness.js';
import { eligible, scriptFrames, type ScriptedTrade } from './oracle.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { expectedUniverse, type StrategyRow } from './universe-oracle.js';

const run = promisify(execFile);

export type ChaosMode = 'full' | 'short';

/** One injected fault and what was observed. */
export interface FaultRecord {
  name: string;
  what: string;
  /** ms from the start of the injection to the end of the injection. */
  injectMs: number;
  /** ms from the end of the injection until the system was healthy again. */
  recoveryMs: number | null;
  /** Metric deltas / log lines an operator would see. */
  evidence: string[];
  ok: boolean;
  error?: string;
}

/** One end-of-run invariant. */
export interface CheckRecord {
  name: string;
  ok: boolean;
  detail: string;
}

/** The outcome of one chaos run. */
export interface ChaosResult {
  mode: ChaosMode;
  startedAt: string;
  durationMs: number;
  faults: FaultRecord[];
  checks: CheckRecord[];
  rss: Record<string, { maxMiB: number; lastMiB: number; samples: number }>;
  stats: Record<string, number | string>;
  ok: boolean;
}

interface Round {
  id: number;
  tickers: string[];
  marker: string;
  markerMs: number;
  trades: ScriptedTrade[];
  /** Every frame reached exactly one subscribed connection, the same one. */
  sameConnection: boolean;
}

const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const hex = (n: number) => randomBytes(n).toString('hex');

/** Runs the suite once; never throws for a failed invariant (see `ok`). */
export async function runChaos(
  opts: { mode?: ChaosMode; log?: (line: string) => void } = {},
): Promise<ChaosResult> {
  const mode = opts.mode ?? 'full';
  const full = mode === 'full';
  const log = opts.log ?? (line => process.stdout.write(`[chaos] ${line}\n`));
  const t0 = Date.now();
  const faults: FaultRecord[] = [];
  const checks: CheckRecord[] = [];
  const stats: Record<string, number | string> = {};

  // Secrets that must never show up in any log line.
  const secrets = {
    polygonKey: `pk_${hex(12)}`,
    apiToken: `tok_${hex(16)}`,
    redisPassword: `rpw_${hex(12)}`,
    pgPassword: `pgpw_${hex(12)}`,
  };
  const keyPrefix = uniquePrefix('chaos');
  const bullPrefix = uniqueName('chaosq');
  const keys = createKeys(keyPrefix);
  const schema = `tp_chaos_${hex(4)}`;
  const channel = `tp_chaos_${hex(4)}`;
  const strategyCount = full ? 40 : 20;
  const leaseTtl = full ? 6000 : 4000;

  let redisSrv: PrivateRedis | undefined;
  let sim: PolygonSim | undefined;
  let proxy: TcpProxy | undefined;
  let system: System | undefined;
  let redis: Redis | undefined;
  let ticksQ: Queue | undefined;
  let syncQ: Queue | undefined;
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  let adminConnected = false;
  const background: Promise<void>[] = [];
  let stopping = false;
  const rssMax = new Map<string, number>();
  const rssLast = new Map<string, number>();
  let rssSamples = 0;

  try {
    // ---- infrastructure ------------------------------------------------
    redisSrv = await startPrivateRedis([
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--requirepass',
      secrets.redisPassword,
    ]);
    redis = testRedis(redisSrv.url);
    // The assertion client rides out the Redis restarts; its errors are expected.
    redis.on('error', () => undefined);
    await admin.connect();
    adminConnected = true;
    await admin.query(`CREATE SCHEMA ${schema}`);
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    const databaseUrl =
      `postgres://postgres:${secrets.pgPassword}@127.0.0.1:${proxy.port}/postgres` +
      `?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const migrateEnv = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: databaseUrl,
      PG_NOTIFY_CHANNEL: channel,
      REDIS_URL: redisSrv.url,
      API_TOKEN: secrets.apiToken,
    };
    const migrated = await run(
      process.execPath,
      [join(REPO_ROOT, 'apps/universe-sync/dist/migrate.js'), '--schema'],
      { env: migrateEnv, cwd: REPO_ROOT },
    );
    const migrateOutput = migrated.stdout + migrated.stderr;

    const rnd = seededRandom(7);
    const pool = Array.from({ length: 60 }, (_, i) => `U${i}X`);
    const randomUniverse = (): (string | null)[] | null => {
      const r = rnd();
      if (r < 0.1) return null;
      if (r < 0.15) return [];
      const n = 1 + Math.floor(rnd() * 12);
      const u: (string | null)[] = [];
      for (let k = 0; k < n; k++) {
        const t = pool[Math.floor(rnd() * pool.length)]!;
        u.push(rnd() < 0.2 ? ` ${t.toLowerCase()} ` : t);
      }
      if (rnd() < 0.1) u.push('BRK A');
      if (rnd() < 0.05) u.push(null);
      return u;
    };
    for (let id = 1; id <= strategyCount; id++) {
      await admin.query(
        `INSERT INTO ${schema}.strategies (strategyid, alertactive, alert_universe_full) VALUES ($1, $2, $3)`,
        [id, rnd() < 0.8, randomUniverse()],
      );
    }

    sim = createPolygonSim({
      rate: full ? 2000 : 500,
      tickers: 3000,
      apiKeys: [secrets.polygonKey],
      maxEventsPerFrame: 500,
    });
    await sim.listen(0);
    const theSim = sim;

    system = createSystem({
      REDIS_URL: redisSrv.url,
      REDIS_KEY_PREFIX: keyPrefix,
      BULLMQ_PREFIX: bullPrefix,
    });
    const ingestEnv = {
      POLYGON_API_KEY: secrets.polygonKey,
      POLYGON_WS_URL: sim.url(),
      FLUSH_INTERVAL_MS: '50',
      PUBLISH_TIMEOUT_MS: '1000',
      LEASE_TTL_MS: String(leaseTtl),
      LEASE_POLL_MS: '250',
      RECONNECT_MIN_MS: '200',
      RECONNECT_MAX_MS: '2000',
      HEALTHY_AFTER_MS: '2000',
      PING_INTERVAL_MS: '1000',
      READ_TIMEOUT_MS: '3000',
      MAX_CONNECTIONS_COOLDOWN_MS: '2000',
      SUMMARY_INTERVAL_MS: '10000',
      SHUTDOWN_FLUSH_MS: '5000',
    };
    const ingestA = await system.add('ingest-a', 'ingest', ingestEnv);
    const ingestB = await system.add('ingest-b', 'ingest', ingestEnv);
    const writer = await system.add('tick-writer', 'tick-writer', {
      TICK_WRITER_LOCK_DURATION_MS: '1000',
      TICK_WRITER_STALLED_INTERVAL_MS: '500',
      TICK_WRITER_DRAIN_TIMEOUT_MS: '5000',
      TICK_WRITER_SUMMARY_INTERVAL: '10s',
    });
    const usync = await system.add('universe-sync', 'universe-sync', {
      DATABASE_URL: databaseUrl,
      API_TOKEN: secrets.apiToken,
      PG_NOTIFY_CHANNEL: channel,
      LISTEN_NOTIFY: 'true',
      PG_CONNECT_TIMEOUT: '2s',
      RECONCILE_INTERVAL: full ? '20s' : '15s',
    });
    const sys = system;
    await Promise.all([writer.start(), usync.start()]);
    await ingestA.start();
    await ingestB.start();
    const conn = { url: redisSrv.url, maxRetriesPerRequest: null };
    ticksQ = new Queue(QUEUE_NAMES.ticks, {
      connection: conn,
      prefix: bullPrefix,
    });
    syncQ = new Queue(QUEUE_NAMES.universeSync, {
      connection: conn,
      prefix: bullPrefix,
    });
    ticksQ.on('error', () => undefined);
    syncQ.on('error', () => undefined);
    const theRedis = redis;
    const tq = ticksQ;
    const sq = syncQ;
    await waitFor(() => theSim.stats().subscribed === 1, {
      timeoutMs: 60_000,
      what: 'an ingest leader streaming',
    });
    log(
      `system up (${mode}): ingest ×2, tick-writer, universe-sync, sim ${theSim.stats().rate}/s`,
    );

    // ---- helpers ---------------------------------------------------------
    const ingests = [ingestA, ingestB];
    const metricOr0 = async (
      p: AppProcess,
      name: string,
      labels?: Record<string, string>,
    ) => (p.running() ? p.metric(name, labels).catch(() => 0) : 0);
    const sumIngest = async (name: string, labels?: Record<string, string>) =>
      (await Promise.all(ingests.map(p => metricOr0(p, name, labels)))).reduce(
        (a, b) => a + b,
        0,
      );
    const leader = async (): Promise<AppProcess | undefined> => {
      for (const p of ingests)
        if ((await metricOr0(p, 'tickpulse_ingest_leader')) === 1) return p;
      return undefined;
    };
    const standby = async () => {
      const l = await leader();
      return ingests.find(p => p !== l && p.running());
    };
    const zscore = async (member: string) => {
      const s = await theRedis.zscore(keys.tickUpd(), member).catch(() => null);
      return s === null ? null : Number(s);
    };
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${usync.port}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${secrets.apiToken}`,
          'content-type': 'application/json',
        },
        body: '{}',
        ...init,
      });

    // ---- oracle rounds: scripted trades for tickers only this suite sends --
    const rounds: Round[] = [];
    let roundsSkipped = 0;
    /** Set while a fault needs a silent feed (stall): no scripted frames either. */
    let feedPaused = false;
    let probeSeq = 0;
    const sendRound = (id: number): Round | null => {
      const before = theSim.stats();
      if (before.subscribed !== 1) return null;
      const tickers = Array.from({ length: 6 }, (_, k) => `O${id}R${k}`);
      const frames = scriptFrames({
        tickers,
        frames: 3,
        perFrame: 8,
        nowMs: Date.now(),
        spanMs: 30_000,
        seed: 1000 + id,
      });
      const markerMs = Date.now();
      const marker = `M${id}R`;
      let same = true;
      for (const f of frames) if (theSim.sendFrames([f]) !== 1) same = false;
      const m = {
        ev: 'T',
        sym: marker,
        x: 4,
        i: `m${id}`,
        z: 1,
        p: 1,
        s: 100,
        t: markerMs,
        q: 1,
      };
      if (theSim.sendFrames([[m]]) !== 1) same = false;
      const after = theSim.stats();
      if (
        after.totalConnections !== before.totalConnections ||
        after.subscribed !== 1
      )
        same = false;
      return {
        id,
        tickers,
        marker,
        markerMs,
        trades: frames.flat(),
        sameConnection: same,
      };
    };
    background.push(
      (async () => {
        let id = 0;
        while (!stopping) {
          const r = feedPaused ? null : sendRound(++id);
          if (r) rounds.push(r);
          else roundsSkipped++;
          await sleep(full ? 300 : 400);
        }
      })(),
    );

    /** A fresh eligible trade reaches TICK:UPD: the tick path works end to end. */
    const tickProbe = async (timeoutMs = 90_000) => {
      const sym = `P${++probeSeq}Q`;
      let ms = 0;
      await waitFor(
        async () => {
          if (theSim.stats().subscribed === 1 && ms === 0 && !feedPaused) {
            ms = Date.now();
            theSim.sendFrames([
              [{ ev: 'T', sym, x: 4, i: sym, z: 1, p: 1, s: 100, t: ms, q: 1 }],
            ]);
          }
          if (ms === 0) return false;
          if ((await zscore(sym)) === ms) return true;
          // The frame may have been lost in a reconnect: send a new one later.
          if (Date.now() - ms > 5000) ms = 0;
          return false;
        },
        { timeoutMs, intervalMs: 100, what: `tick probe ${sym}` },
      );
    };

    // ---- strategy edits committed to PostgreSQL and enqueued ---------------
    let edits = 0;
    let enqueueFailures = 0;
    background.push(
      (async () => {
        const er = seededRandom(11);
        while (!stopping) {
          const id = 1 + Math.floor(er() * (strategyCount + 5));
          try {
            const op = er();
            if (op < 0.1) {
              await admin.query(
                `DELETE FROM ${schema}.strategies WHERE strategyid = $1`,
                [id],
              );
            } else {
              await admin.query(
                `INSERT INTO ${schema}.strategies (strategyid, alertactive, alert_universe_full) VALUES ($1, $2, $3)
                 ON CONFLICT (strategyid) DO UPDATE SET alertactive = EXCLUDED.alertactive, alert_universe_full = EXCLUDED.alert_universe_full`,
                [id, er() < 0.8, randomUniverse()],
              );
            }
            edits++;
          } catch {
            // A rejected edit (CHECK) is simply not committed.
          }
          try {
            if (er() < 0.5) {
              const r = await api(`/v1/strategies/${id}/sync`, {
                body: JSON.stringify({ reason: 'chaos edit' }),
              });
              if (r.status !== 202) enqueueFailures++;
            } else {
              await enqueueUniverseSync(sq, id, 'chaos edit');
            }
          } catch {
            enqueueFailures++;
          }
          await sleep(150);
        }
      })(),
    );

    // ---- memory sampling -----------------------------------------------------
    background.push(
      (async () => {
        while (!stopping) {
          for (const p of sys.all()) {
            const b = p.rssBytes();
            if (b === undefined) continue;
            rssLast.set(p.name, b);
            rssMax.set(p.name, Math.max(rssMax.get(p.name) ?? 0, b));
          }
          rssSamples++;
          await sleep(1000);
        }
      })(),
    );

    const healthy = async () => {
      await Promise.all(
        sys
          .all()
          .filter(p => p.running())
          .map(p => p.waitReady(120_000)),
      );
      await tickProbe();
    };

    const fault = async (
      name: string,
      what: string,
      inject: (evidence: string[]) => Promise<void>,
      recover: (evidence: string[]) => Promise<void> = healthy,
    ) => {
      const evidence: string[] = [];
      const rec: FaultRecord = {
        name,
        what,
        injectMs: 0,
        recoveryMs: null,
        evidence,
        ok: false,
      };
      faults.push(rec);
      log(`fault: ${name}`);
      const s = Date.now();
      try {
        await inject(evidence);
        rec.injectMs = Date.now() - s;
        const r = Date.now();
        await recover(evidence);
        rec.recoveryMs = Date.now() - r;
        rec.ok = evidence.length > 0;
        if (!rec.ok) rec.error = 'no metric or log line shows this fault';
      } catch (err) {
        rec.error = String((err as Error).message ?? err);
      }
      log(
        `  ${rec.ok ? 'ok' : 'FAILED'} inject ${rec.injectMs} ms, recovery ${rec.recoveryMs ?? '-'} ms; ${evidence.join('; ')}${rec.error ? ` — ${rec.error}` : ''}`,
      );
    };

    /** Adds `label: before → after` when a metric moved. */
    const delta = async (
      evidence: string[],
      label: string,
      read: () => Promise<number>,
      body: () => Promise<void>,
      min = 1,
    ) => {
      const before = await read();
      await body();
      const after = await waitFor(
        async () => {
          const v = await read();
          return v - before >= min ? v : 0;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: `${label} to grow` },
      ).catch(() => null);
      if (after !== null) evidence.push(`${label} ${before} → ${after}`);
    };

    const logsSince = (p: AppProcess, from: number, text: string | RegExp) =>
      p.lines
        .slice(from)
        .filter(l =>
          typeof text === 'string'
            ? String(l.msg ?? '').includes(text)
            : text.test(String(l.msg ?? '')),
        );

    await healthy();
    await sleep(full ? 3000 : 1000);

    // ---- faults, one after another ----------------------------------------
    await fault(
      'redis-restart',
      'private Redis (AOF, appendfsync always) SIGKILLed, down 3 s, restarted',
      async ev => {
        const marks = sys.all().map(p => p.lines.length);
        await redisSrv!.restart({ downMs: 3000 });
        await waitFor(
          () =>
            sys
              .all()
              .some(
                (p, i) =>
                  logsSince(
                    p,
                    marks[i]!,
                    /redis connection error|lease operation failed|publishing ticks failed|queue error/,
                  ).length > 0,
              ),
          { timeoutMs: 30_000, what: 'a log line about the Redis outage' },
        ).then(
          () => {
            sys.all().forEach((p, i) => {
              const ls = logsSince(
                p,
                marks[i]!,
                /redis|lease|publish|queue/i,
              ).filter(l =>
                /^(warn|error|fatal|4\d|5\d|60)$/.test(String(l.level)),
              );
              const msgs = [...new Set(ls.map(l => String(l.msg)))];
              if (ls.length > 0)
                ev.push(
                  `${p.name}: ${ls.length} warn/error lines ("${msgs.join('", "')}")`,
                );
            });
          },
          () => undefined,
        );
      },
    );

    await fault(
      'postgres-down-during-syncs',
      'TCP proxy to PostgreSQL cut for 4 s while edits are committed and synced',
      async ev => {
        const read = () =>
          metricOr0(usync, 'tickpulse_universe_sync_jobs_total', {
            kind: 'strategy',
            result: 'error',
          });
        await delta(
          ev,
          'universe_sync_jobs_total{kind=strategy,result=error}',
          read,
          async () => {
            proxy!.cut();
            for (let id = 1; id <= 5; id++)
              await api(`/v1/strategies/${id}/sync`);
          },
        );
        await sleep(4000 - 0);
        proxy!.restore();
        ev.push(`proxy refused ${proxy!.refused()} connections so far`);
      },
    );

    await fault(
      'postgres-down-during-reconcile',
      'TCP proxy cut, reconcile requested (POST /v1/reconcile), restored after it failed',
      async ev => {
        const failed = () =>
          metricOr0(usync, 'tickpulse_universe_reconcile_runs_total', {
            result: 'failed',
          });
        const errs = () =>
          metricOr0(usync, 'tickpulse_universe_sync_jobs_total', {
            kind: 'reconcile',
            result: 'error',
          });
        const before = (await failed()) + (await errs());
        proxy!.cut();
        const r = await api('/v1/reconcile', {
          body: JSON.stringify({ reason: 'chaos' }),
        });
        ev.push(`POST /v1/reconcile → ${r.status}`);
        const after = await waitFor(
          async () => {
            const v = (await failed()) + (await errs());
            return v > before ? v : 0;
          },
          { timeoutMs: 60_000, what: 'a failed reconcile' },
        ).catch(() => null);
        if (after !== null) ev.push(`reconcile failures ${before} → ${after}`);
        else ev.length = 0;
        proxy!.restore();
      },
      async ev => {
        const ok = () =>
          metricOr0(usync, 'tickpulse_universe_reconcile_runs_total', {
            result: 'ok',
          });
        const before = await ok();
        await waitFor(async () => (await ok()) > before, {
          timeoutMs: 120_000,
          what: 'a reconcile to succeed after PostgreSQL returns',
        });
        ev.push(`reconcile_runs_total{result=ok} ${before} → ${await ok()}`);
        await healthy();
      },
    );

    await fault(
      'feed-drop',
      'every WebSocket reset (no close frame)',
      async ev => {
        await delta(
          ev,
          'ingest_reconnects_total',
          () => sumIngest('tickpulse_ingest_reconnects_total'),
          async () => {
            theSim.dropConnections();
          },
        );
      },
    );

    await fault(
      'feed-stall',
      'feed silent (no frames, no pongs) until ingest gives up on it (READ_TIMEOUT_MS 3 s)',
      async ev => {
        await delta(
          ev,
          'ingest_reconnects_total',
          () => sumIngest('tickpulse_ingest_reconnects_total'),
          async () => {
            const before = await sumIngest('tickpulse_ingest_reconnects_total');
            feedPaused = true;
            theSim.stall(true);
            try {
              await waitFor(
                async () =>
                  (await sumIngest('tickpulse_ingest_reconnects_total')) >
                  before,
                {
                  timeoutMs: 30_000,
                  what: 'ingest to give up on the silent feed',
                },
              );
            } finally {
              theSim.stall(false);
              feedPaused = false;
            }
          },
        );
      },
    );

    await fault(
      'feed-max-connections',
      'the feed sends max_connections and closes',
      async ev => {
        await delta(
          ev,
          'ingest_max_connections_total',
          () => sumIngest('tickpulse_ingest_max_connections_total'),
          async () => {
            theSim.sendMaxConnections();
          },
        );
      },
    );

    await fault(
      'feed-malformed',
      'one frame of every malformed kind',
      async ev => {
        await delta(
          ev,
          'ingest_invalid_total',
          () => sumIngest('tickpulse_ingest_invalid_total'),
          async () => {
            for (const k of [
              'not_json',
              'not_array',
              'missing_fields',
              'bad_fields',
              'not_object',
              'binary',
            ] as const)
              theSim.sendMalformed(k);
          },
        );
      },
    );

    await fault(
      'feed-future-timestamps',
      '50 trades 1 h in the future',
      async ev => {
        await delta(
          ev,
          'ingest_invalid_total{reason=future_timestamp}',
          () =>
            sumIngest('tickpulse_ingest_invalid_total', {
              reason: 'future_timestamp',
            }),
          async () => {
            theSim.sendFutureTrades(50, 3_600_000);
          },
          50,
        );
      },
    );

    await fault(
      'garbage-jobs',
      'malformed payloads added to `ticks` and `universe-sync`',
      async ev => {
        await delta(
          ev,
          'tick_writer_failures_total{reason=invalid_job}',
          () =>
            metricOr0(writer, 'tickpulse_tick_writer_failures_total', {
              reason: 'invalid_job',
            }),
          async () => {
            await tq.add('tick-batch', { v: 2, ticks: {} });
            await tq.add('tick-batch', {
              v: 1,
              ticks: { 'NOT A TICKER': Date.now() },
            });
            await tq.add('tick-batch', { v: 1, ticks: { AAPL: 'soon' } });
            await tq.add('garbage', 'just a string');
          },
          4,
        );
        await delta(
          ev,
          'universe_sync_jobs_total{result=invalid}',
          () =>
            metricOr0(usync, 'tickpulse_universe_sync_jobs_total', {
              result: 'invalid',
            }),
          async () => {
            await sq.add('sync-strategy', {
              kind: 'strategy',
              strategyId: -1,
              reason: 'x',
            });
            await sq.add('sync-strategy', { kind: 'drop-tables' });
            await sq.add('garbage', null);
          },
          3,
        );
        // Replayed and out-of-order batches of real data are not garbage: they must change nothing.
        const snapshot = new Map<string, number>();
        for (const r of rounds.slice(-5)) {
          const s = await zscore(r.marker);
          if (s !== null) snapshot.set(r.marker, s);
        }
        await publishTickBatch(tq, snapshot);
        await publishTickBatch(
          tq,
          new Map([...snapshot].map(([k, v]) => [k, v - 1000])),
        );
      },
    );

    await fault(
      'enqueue-flood',
      '300 sync requests for one strategy through the HTTP API (50 at a time)',
      async ev => {
        const statuses = new Map<number, number>();
        const jobsBefore = await metricOr0(
          usync,
          'tickpulse_universe_sync_jobs_total',
          { kind: 'strategy' },
        );
        for (let b = 0; b < 6; b++) {
          const rs = await Promise.all(
            Array.from({ length: 50 }, () =>
              api('/v1/strategies/7/sync').then(
                r => r.status,
                () => -1,
              ),
            ),
          );
          for (const s of rs) statuses.set(s, (statuses.get(s) ?? 0) + 1);
        }
        const desc = [...statuses].map(([s, n]) => `${s}×${n}`).join(', ');
        const bad = [...statuses.keys()].filter(s => s !== 202 && s !== 429);
        if (bad.length > 0) throw new Error(`unexpected statuses: ${desc}`);
        await sleep(1000);
        const jobsAfter = await metricOr0(
          usync,
          'tickpulse_universe_sync_jobs_total',
          { kind: 'strategy' },
        );
        ev.push(`responses ${desc}`);
        ev.push(
          `universe_sync_jobs_total{kind=strategy} +${jobsAfter - jobsBefore} during the flood (edits included)`,
        );
        const reqs = await metricOr0(
          usync,
          'tickpulse_universe_api_requests_total',
        );
        ev.push(`universe_api_requests_total = ${reqs}`);
      },
    );

    const restartEvidence = async (
      ev: string[],
      p: AppProcess,
      before: number,
    ) => {
      const after = await metricOr0(p, 'process_start_time_seconds');
      if (after > before)
        ev.push(`${p.name} process_start_time_seconds ${before} → ${after}`);
    };

    await fault(
      'ingest-leader-sigkill',
      'SIGKILL the ingest leader while the standby runs; restart it',
      async ev => {
        const l = await waitFor(leader, {
          timeoutMs: 30_000,
          what: 'an ingest leader',
        });
        const s = ingests.find(p => p !== l)!;
        const acquired = () =>
          metricOr0(s, 'tickpulse_ingest_leader_transitions_total', {
            transition: 'acquired',
          });
        const a0 = await acquired();
        await l.signal('SIGKILL');
        await waitFor(async () => (await acquired()) > a0, {
          timeoutMs: 60_000,
          what: 'standby to take the lease',
        });
        ev.push(
          `${s.name} leader_transitions_total{acquired} ${a0} → ${await acquired()}`,
        );
        await waitFor(() => theSim.stats().subscribed === 1, {
          timeoutMs: 60_000,
          what: 'the new leader streaming',
        });
        await l.start();
      },
    );

    for (const p of [writer, usync]) {
      await fault(
        `${p.name}-sigkill`,
        `SIGKILL ${p.name} under load; restart it`,
        async ev => {
          const st = await metricOr0(p, 'process_start_time_seconds');
          await p.restart('SIGKILL');
          await restartEvidence(ev, p, st);
        },
      );
    }

    if (full) {
      await fault(
        'ingest-standby-sigkill',
        'SIGKILL the ingest standby; restart it',
        async ev => {
          const s = await waitFor(standby, {
            timeoutMs: 30_000,
            what: 'an ingest standby',
          });
          const st = await metricOr0(s, 'process_start_time_seconds');
          await s.restart('SIGKILL');
          await restartEvidence(ev, s, st);
        },
      );
    }

    // Rolling restart: each process SIGTERMed in turn (must exit 0), then started again.
    const rolling = full
      ? [writer, usync, ingestA, ingestB]
      : [writer, (await leader()) ?? ingestA];
    for (const p of rolling) {
      await fault(
        `${p.name}-sigterm`,
        `SIGTERM ${p.name} under load (rolling restart)`,
        async ev => {
          const mark = p.lines.length;
          const exit = await p.signal('SIGTERM');
          if (exit.code !== 0)
            throw new Error(
              `${p.name} exited ${exit.code} (${exit.signal}) on SIGTERM`,
            );
          const lines = logsSince(
            p,
            mark,
            /shutting down|shutdown complete|stopped/,
          );
          if (lines.length > 0)
            ev.push(
              `${p.name} logged "${lines.map(l => l.msg).join('", "')}", exit 0`,
            );
          await p.start();
        },
      );
    }

    if (full) {
      await fault(
        'redis-restart-2',
        'Redis SIGKILLed again after the rolling restart, down 3 s',
        async ev => {
          const failures = await sumIngest(
            'tickpulse_ingest_publish_failures_total',
          );
          await redisSrv!.restart({ downMs: 3000 });
          const after = await sumIngest(
            'tickpulse_ingest_publish_failures_total',
          );
          if (after > failures)
            ev.push(`ingest_publish_failures_total ${failures} → ${after}`);
          const n = sys
            .all()
            .reduce(
              (acc, p) =>
                acc +
                p.lines.filter(l =>
                  /redis connection error/.test(String(l.msg)),
                ).length,
              0,
            );
          if (n > 0) ev.push(`${n} "redis connection error" lines in all logs`);
        },
      );
    }

    // ---- settle and check -----------------------------------------------------
    stopping = true;
    await Promise.all(background);
    log('settling: final reconcile, queues drained');
    await healthy();
    const okRuns = () =>
      metricOr0(usync, 'tickpulse_universe_reconcile_runs_total', {
        result: 'ok',
      });
    const beforeRec = await okRuns();
    const recResp = await api('/v1/reconcile', {
      body: JSON.stringify({ reason: 'chaos final check' }),
    });
    await waitFor(async () => (await okRuns()) > beforeRec, {
      timeoutMs: 120_000,
      what: 'the final reconcile',
    });
    await waitFor(
      async () => {
        const c = await tq.getJobCounts(
          'wait',
          'active',
          'delayed',
          'prioritized',
        );
        // universe-sync: the reconcile scheduler always keeps one delayed job.
        const u = await sq.getJobCounts('wait', 'active', 'prioritized');
        return [...Object.values(c), ...Object.values(u)].every(n => n === 0);
      },
      { timeoutMs: 180_000, intervalMs: 250, what: 'queues drained' },
    );

    // (1) TICK:UPD vs the oracle rounds.
    const markers = await Promise.all(rounds.map(r => zscore(r.marker)));
    let certain = 0;
    let uncertain = 0;
    const mismatches: string[] = [];
    const ineligibleWins: string[] = [];
    for (let i = 0; i < rounds.length; i++) {
      const r = rounds[i]!;
      const expected = new Map<string, number>();
      const eligibleTimes = new Map<string, Set<number>>();
      for (const t of r.trades) {
        if (!eligible(t)) continue;
        expected.set(t.sym, Math.max(expected.get(t.sym) ?? 0, t.t));
        if (!eligibleTimes.has(t.sym)) eligibleTimes.set(t.sym, new Set());
        eligibleTimes.get(t.sym)!.add(t.t);
      }
      const got = await Promise.all(r.tickers.map(zscore));
      if (r.sameConnection && markers[i] === r.markerMs) {
        certain++;
        r.tickers.forEach((t, k) => {
          if ((expected.get(t) ?? null) !== got[k])
            mismatches.push(
              `${t}: expected ${expected.get(t) ?? 'absent'}, got ${got[k] ?? 'absent'}`,
            );
        });
      } else {
        uncertain++;
        r.tickers.forEach((t, k) => {
          const g = got[k];
          if (g !== null && g !== undefined && !eligibleTimes.get(t)?.has(g))
            ineligibleWins.push(`${t}: ${g}`);
        });
      }
    }
    checks.push({
      name: 'TICK:UPD equals the oracle for every round delivered to a connected leader',
      ok: mismatches.length === 0 && certain > 0,
      detail: `${certain} rounds checked exactly (${certain * 6} tickers), ${uncertain} rounds sent across a connection change excluded, ${roundsSkipped} not sent (no leader connected)${mismatches.length ? `; mismatches: ${mismatches.slice(0, 10).join(', ')}` : ''}`,
    });
    checks.push({
      name: 'no ineligible or invented time in TICK:UPD (rounds across connection changes)',
      ok: ineligibleWins.length === 0,
      detail: ineligibleWins.length
        ? ineligibleWins.slice(0, 10).join(', ')
        : `${uncertain} rounds: every present score is one of the ticker's eligible trade times`,
    });
    const maxScore = await theRedis.zrange(
      keys.tickUpd(),
      '-1',
      '-1',
      'WITHSCORES',
    );
    const newest = Number(maxScore[1] ?? 0);
    checks.push({
      name: 'no future timestamp in TICK:UPD',
      ok: newest <= Date.now() + 10_000,
      detail: `newest score ${new Date(newest).toISOString()} (${await theRedis.zcard(keys.tickUpd())} members)`,
    });

    // (2) STRAT:*:UNIV vs the committed table after the final reconcile.
    const rows = (
      await admin.query<StrategyRow>(
        `SELECT strategyid, alertactive, alert_universe_full FROM ${schema}.strategies`,
      )
    ).rows;
    const expectedSets = new Map<number, string[]>();
    for (const row of rows) {
      const u = expectedUniverse(row);
      if (u) expectedSets.set(row.strategyid, u);
    }
    const found = new Map<number, string[]>();
    let cursor = '0';
    do {
      const [next, ks] = await theRedis.scan(
        cursor,
        'MATCH',
        keys.stratUnivPattern(),
        'COUNT',
        1000,
      );
      cursor = next;
      for (const k of ks) {
        const id = keys.strategyIdOfUnivKey(k);
        if (id !== null) found.set(id, (await theRedis.smembers(k)).sort());
      }
    } while (cursor !== '0');
    const univDiff: string[] = [];
    for (const [id, want] of expectedSets) {
      const got = found.get(id);
      if (!got || got.join(',') !== want.join(','))
        univDiff.push(
          `${id}: want [${want}] got ${got ? `[${got}]` : 'no key'}`,
        );
    }
    for (const id of found.keys())
      if (!expectedSets.has(id)) univDiff.push(`${id}: key should not exist`);
    checks.push({
      name: 'every STRAT:*:UNIV equals the committed table after the next reconcile',
      ok: univDiff.length === 0,
      detail: `${rows.length} rows, ${expectedSets.size} sets expected, ${found.size} found; POST /v1/reconcile → ${recResp.status}${univDiff.length ? `; diff: ${univDiff.slice(0, 10).join('; ')}` : ''}`,
    });

    // (3) No process exited except the ones the suite killed or stopped.
    const unexpected = sys.unexpectedExits();
    checks.push({
      name: 'no process exited other than the killed ones',
      ok: unexpected.length === 0 && sys.all().every(p => p.running()),
      detail: `${sys.exits.length} exits, all caused by the suite${unexpected.length ? `; UNEXPECTED: ${JSON.stringify(unexpected)}` : ''}`,
    });

    // (4) Memory bounded.
    const rssLimit = 400 * 1048576;
    const over = [...rssMax].filter(([, b]) => b > rssLimit);
    checks.push({
      name: 'memory bounded (RSS sampled every second, limit 400 MiB per process)',
      ok: over.length === 0 && rssSamples > 0,
      detail: [...rssMax].map(([n, b]) => `${n} max ${mib(b)} MiB`).join(', '),
    });

    // (5) Every fault visible and recovered.
    const failed = faults.filter(f => !f.ok);
    checks.push({
      name: 'every injected fault recovered and shows in a metric or log line',
      ok: failed.length === 0,
      detail: failed.length
        ? failed.map(f => `${f.name}: ${f.error}`).join('; ')
        : `${faults.length} faults`,
    });

    // (6) Secrets never logged.
    const allText = [...sys.all().flatMap(p => p.raw), migrateOutput].join('');
    const leaked = Object.entries(secrets)
      .filter(([, v]) => allText.includes(v))
      .map(([k]) => k);
    checks.push({
      name: 'no secret (POLYGON_API_KEY, API token, Redis and PostgreSQL passwords) in any log',
      ok: leaked.length === 0 && allText.length > 0,
      detail: leaked.length
        ? `LEAKED: ${leaked.join(', ')}`
        : `${Math.round(allText.length / 1024)} KiB of logs from ${sys.all().length} processes and the migration checked`,
    });

    stats.tradesSentBySim = theSim.stats().eventsSent;
    stats.simConnections = theSim.stats().totalConnections;
    stats.simEvictions = theSim.stats().evictions;
    stats.simMaxConcurrentPerAccount = theSim.stats().maxConcurrentPerAccount;
    stats.strategyEdits = edits;
    stats.enqueueFailures = enqueueFailures;
    stats.oracleRounds = rounds.length;
    stats.tickUpdMembers = await theRedis.zcard(keys.tickUpd());
    checks.push({
      name: 'never two ingest connections on the account at once',
      ok: theSim.stats().evictions === 0,
      detail: `sim evictions ${theSim.stats().evictions}, max concurrent authenticated per account ${theSim.stats().maxConcurrentPerAccount}`,
    });
  } catch (err) {
    checks.push({
      name: 'suite ran to the end',
      ok: false,
      detail: String((err as Error).stack ?? err),
    });
  } finally {
    stopping = true;
    await Promise.allSettled(background);
    await system?.killAll();
    await ticksQ?.close().catch(() => undefined);
    await syncQ?.close().catch(() => undefined);
    redis?.disconnect();
    await sim?.close();
    await proxy?.close();
    if (adminConnected) {
      await admin
        .query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
        .catch(() => undefined);
      await admin.end().catch(() => undefined);
    }
    await redisSrv?.stop();
  }

  const rss: ChaosResult['rss'] = {};
  for (const [n, b] of rssMax)
    rss[n] = {
      maxMiB: mib(b),
      lastMiB: mib(rssLast.get(n) ?? 0),
      samples: rssSamples,
    };
  return {
    mode,
    startedAt: new Date(t0).toISOString(),
    durationMs: Date.now() - t0,
    faults,
    checks,
    rss,
    stats,
    ok: checks.length > 0 && checks.every(c => c.ok) && faults.every(f => f.ok),
  };
}

/** Markdown report of one or more runs. */
export function renderReport(
  results: ChaosResult[],
  title = 'Chaos suite report',
): string {
  const out: string[] = [`# ${title}`, ''];
  out.push(
    `Runs: ${results.length}, passed: ${results.filter(r => r.ok).length}.`,
    '',
  );
  out.push(
    '| run | mode | started | duration | faults ok | checks ok | result |',
    '|---|---|---|---|---|---|---|',
  );
  results.forEach((r, i) =>
    out.push(
      `| ${i + 1} | ${r.mode} | ${r.startedAt} | ${Math.round(r.durationMs / 1000)} s | ${r.faults.filter(f => f.ok).length}/${r.faults.length} | ${r.checks.filter(c => c.ok).length}/${r.checks.length} | ${r.ok ? 'PASS' : 'FAIL'} |`,
    ),
  );
  results.forEach((r, i) => {
    out.push('', `## Run ${i + 1} (${r.mode}, ${r.ok ? 'PASS' : 'FAIL'})`, '');
    out.push(
      '| fault | injected | injection ms | recovery ms | visible as | ok |',
      '|---|---|---|---|---|---|',
    );
    for (const f of r.faults)
      out.push(
        `| ${f.name} | ${f.what} | ${f.injectMs} | ${f.recoveryMs ?? '-'} | ${f.evidence.join('<br>').replace(/\|/g, '\\|') || '-'} | ${f.ok ? 'yes' : `NO: ${(f.error ?? '').replace(/\|/g, '\\|')}`} |`,
      );
    out.push('', '| check | ok | detail |', '|---|---|---|');
    for (const c of r.checks)
      out.push(
        `| ${c.name} | ${c.ok ? 'yes' : 'NO'} | ${c.detail.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
      );
    out.push(
      '',
      `Memory (RSS): ${Object.entries(r.rss)
        .map(([n, v]) => `${n} max ${v.maxMiB} MiB / last ${v.lastMiB} MiB`)
        .join(', ')}.`,
    );
    out.push(
      '',
      `Stats: ${Object.entries(r.stats)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
    );
  });
  out.push(
    '',
    'Recovery time = from the end of the injection until every running process answers /readyz 200 and a freshly sent eligible trade is visible in TICK:UPD (for the reconcile fault: until a reconcile succeeded).',
    '',
  );
  return out.join('\n');
}
