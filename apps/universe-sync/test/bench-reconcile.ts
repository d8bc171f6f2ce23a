// Ad-hoc: BENCH=1 npx jest test/bench-reconcile.ts --testMatch '**/bench-*.ts'
import { createNamespace, createTestDb, startReplica } from './helpers';
it('cold reconcile of 10 000 strategies x 500 tickers', async () => {
  const db = await createTestDb();
  const ns = createNamespace();
  await db.pool.query(`INSERT INTO strategies (alertactive, alert_universe_full)
    SELECT true, ARRAY(SELECT 'T' || ((g * 7 + h) % 8000) FROM generate_series(1, 500) h) FROM generate_series(1, 10000) g`);
  const r = await startReplica({
    databaseUrl: db.url,
    keys: ns.keys,
    bullmqPrefix: ns.bullmqPrefix,
    queueName: ns.queueName,
    start: false,
    settings: { reconcilePageSize: 500 },
  });
  for (const label of ['cold', 'warm']) {
    const t = Date.now();
    const s = await r.service.reconciler.run();
    console.log(label, Date.now() - t, 'ms', JSON.stringify(s));
  }
  await r.stop();
  await ns.cleanup();
  await db.drop();
}, 300_000);
