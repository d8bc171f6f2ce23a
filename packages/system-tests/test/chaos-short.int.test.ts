/**
 * The shortened chaos suite (issue 8) inside `npm test`: the whole system as
 * processes, every fault kind once, the same invariants as the full suite
 * (`npm run test:chaos`), including the secret grep over all logs.
 */
import {
  CHAOS_FAULTS,
  renderReport,
  runChaos,
  runsIn,
  type ChaosResult,
} from '../src/chaos';

jest.setTimeout(600_000);

describe('chaos suite (short form)', () => {
  let result: ChaosResult;

  beforeAll(async () => {
    result = await runChaos({ mode: 'short', log: () => undefined });
    process.stdout.write(
      `${renderReport([result], 'Chaos suite report (short)')}\n`,
    );
  });

  it('ran every fault kind and each one is visible in a metric or log line', () => {
    expect(
      result.faults.filter(f => !f.ok).map(f => `${f.name}: ${f.error}`),
    ).toEqual([]);
    // Which faults the short form has is pinned by src/chaos/faults.test.ts;
    // here: every one of them ran, in table order.
    expect(result.faults.map(f => f.name)).toEqual(
      CHAOS_FAULTS.filter(f => runsIn(f, 'short')).map(f => f.name),
    );
  });

  it('holds every invariant against the oracles', () => {
    expect(result.checks.filter(c => !c.ok)).toEqual([]);
    expect(result.checks.length).toBeGreaterThanOrEqual(9);
  });

  it('never logs a secret', () => {
    const secretCheck = result.checks.find(c => c.name.startsWith('no secret'));
    expect(secretCheck?.ok).toBe(true);
  });
});
