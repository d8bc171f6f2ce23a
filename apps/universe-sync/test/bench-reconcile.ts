// Ad-hoc benchmark, not part of the suite (the suite matches *.test.ts only):
//   BENCH_RUNS=3 npx jest test/bench-reconcile.ts --testMatch '**/bench-*.ts'
// 10 000 strategies x 500 tickers in a private PostgreSQL schema, reconciled
// into a private redis-server (startPrivateRedis) so other engineers' load on
// the shared Redis does not skew the numbers. Each round: a cold run (Redis
// flushed) then a warm run (nothing to change). Prints every run and the medians.
import { startPrivateRedis } from '@tickpulse/testkit';
import { Redis } from 'ioredis';
import { createNamespace, createTestDb, startReplica } from './helpers';

const STRATEGIES = Number(process.env.BENCH_STRATEGIES ?? 10_000);
const TICKERS = Number(process.env.BENCH_TICKERS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PAGE = Number(process.env.BENCH_PAGE ?? 500);

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

it(`reconcile of ${STRATEGIES} strategies x ${TICKERS} tickers, cold and warm`, async () => {
  const server = await startPrivateRedis();
  const db = await createTestDb();
  const ns = createNamespace();
  const flusher = new Redis(server.url, { protocol: 2 });
  await db.pool.query(
    `INSERT INTO strategies (alertactive, alert_universe_full)
     SELECT true, ARRAY(SELECT 'T' || ((g * 7 + h) % 8000) FROM generate_series(1, $2::int) h)
       FROM generate_series(1, $1::int) g`,
    [STRATEGIES, TICKERS],
  );
  await db.pool.query('ANALYZE strategies');
  const r = await startReplica({
    databaseUrl: db.url,
    redisUrl: server.url,
    keys: ns.keys,
    bullmqPrefix: ns.bullmqPrefix,
    queueName: ns.queueName,
    start: false,
    settings: { reconcilePageSize: PAGE },
  });
  const cold: number[] = [];
  const warm: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      await flusher.flushall();
      for (const [label, out] of [
        ['cold', cold],
        ['warm', warm],
      ] as const) {
        const t = performance.now();
        const s = await r.service.reconciler.run();
        const ms = Math.round(performance.now() - t);
        out.push(ms);
        console.log(label, ms, 'ms', JSON.stringify(s));
      }
    }
    console.log(
      `median of ${RUNS}: cold ${median(cold)} ms, warm ${median(warm)} ms`,
    );
  } finally {
    await r.stop();
    flusher.disconnect();
    await ns.cleanup();
    await db.drop();
    await server.stop();
  }
}, 900_000);
