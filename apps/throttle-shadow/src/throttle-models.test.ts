import { createThrottleModels } from './throttle-models';
import { matches, run, s, STRATEGIES, tickUpdAt } from '../test/model-script';

describe('throttle models over 120 scripted 10 s cycles', () => {
  const report = run();
  const byId = new Map(report.strategies.map(x => [x.id, x]));

  // Each figure below is worked out by hand from the script; the comments
  // give the cycles (k) that run and what each one evaluates.
  it.each([
    // legacy: never matches, runs all 120 cycles on its 3 typed symbols.
    // Go: 1 m buckets; A at k=1 (5 s), k=7 (65), k=31 (305), k=62 (611); B at
    // k=3, k=51; C at k=101. A's trade at 15 s after its k=1 evaluation in
    // the first minute is a late update. lossless adds k=2 for it.
    [1, 'per-ticker', [120, 360], [7, 7, 1, 0], [8, 8]],
    // Go: L0–L9 at k=11, L0's 151 s trade is late; lossless evaluates it at k=16.
    [2, 'per-ticker', [120, 144_000], [1, 10, 1, 0], [2, 11]],
    // legacy runs k=0…50; the k=50 run matches (B) and the rest of the hour
    // is skipped. Go evaluates A, B, C once each (k=1, 3, 101): A's 15 s
    // trade and B's 501/505 s trades are late, so B's alert is missed.
    // lossless: A ×5, B at k=3 and k=51 (matches), C.
    [3, 'per-ticker', [51, 153], [3, 3, 2, 0], [8, 8]],
    // Global for Go (no typed symbols): both legacy and Go run the whole
    // market (1 203) every cycle. lossless uses the set: A ×5, B ×2.
    [4, 'global', [120, 144_360], [120, 144_360, 0, 120], [7, 7]],
    // Triggers on A from 400 s: 5 m bucket 1 runs k=0–29; bucket 2 k=30–40
    // (k=40 matches); buckets 3, 4 run once (k=60, k=90, both match): 43
    // runs of 1 203. lossless over the market: A ×5 (k=62 matches), B ×2,
    // C, L0–L9 at k=11, L0 at k=16.
    [5, 'global', [43, 51_729], [43, 51_729, 0, 43], [10, 19]],
    // Go never runs it (no set); legacy uses the typed A, B; lossless plans
    // it over the market, as strategy 5 (A's k=62 trade is no match here).
    [6, 'disabled', [120, 240], [0, 0, 0, 0], [10, 19]],
    // legacy runs it every cycle, unthrottled; Go skips it; lossless
    // evaluates A at each new trade.
    [7, 'invalid-timeframe', [120, 120], [0, 0, 0, 0], [5, 5]],
    // 7 m buckets: A at k=1 (its 15 s and 65 s trades are late, one pair),
    // k=31, k=62; C at k=101. lossless adds k=2 and k=7.
    [8, 'per-ticker', [120, 240], [4, 4, 1, 0], [6, 6]],
  ] as const)(
    'strategy %i (%s)',
    (id, goPath, [lr, le], [gr, ge, gl, gu], [xr, xe]) => {
      expect(byId.get(id)).toEqual({
        id,
        goPath,
        legacy: { runs: lr, evaluations: le },
        goPerTicker: {
          runs: gr,
          evaluations: ge,
          lateUpdates: gl,
          unfilteredRuns: gu,
        },
        lossless: { runs: xr, evaluations: xe, lateUpdates: 0 },
      });
    },
  );

  it('totals every strategy, with the window', () => {
    expect(report.window).toEqual({ from: s(0), to: s(1190), cycles: 120 });
    expect(report.totals).toEqual({
      legacy: { runs: 814, evaluations: 341_202 },
      goPerTicker: {
        runs: 178,
        evaluations: 196_113,
        lateUpdates: 5,
        unfilteredRuns: 163,
      },
      lossless: { runs: 56, evaluations: 83, lateUpdates: 0 },
    });
  });

  it('lossless never misses a trade and never runs more than legacy', () => {
    expect(report.totals.lossless.lateUpdates).toBe(0);
    expect(report.totals.lossless.runs).toBeLessThanOrEqual(
      report.totals.legacy.runs,
    );
  });

  it('keeps a retired strategy’s figures and adds a return of the same id to them', () => {
    const models = createThrottleModels();
    const typed = STRATEGIES[0]!; // 3 symbols, legacy runs every cycle
    const at = (k: number) => ({
      atMs: s(10 * k),
      tickUpd: tickUpdAt(s(10 * k)),
    });
    models.step(at(0), [typed], matches);
    models.retire(new Set());
    models.step(at(1), [], matches);
    models.retire(new Set());
    models.step(at(2), [typed], matches);
    expect(models.report().strategies).toHaveLength(1);
    expect(models.report().strategies[0]!.legacy).toEqual({
      runs: 2,
      evaluations: 6,
    });
    expect(models.report().window.cycles).toBe(3);
  });

  it('starts a strategy from its alert_last_trigger_at', () => {
    // Triggered at 10:00:01 in the same hour: legacy skips the whole hour.
    const models = createThrottleModels();
    const triggered = { ...STRATEGIES[2]!, lastTriggerMs: s(1) };
    for (let k = 0; k < 12; k++) {
      const atMs = s(10 * k);
      models.step({ atMs, tickUpd: tickUpdAt(atMs) }, [triggered], matches);
    }
    expect(models.report().strategies[0]!.legacy).toEqual({
      runs: 0,
      evaluations: 0,
    });
  });
});
