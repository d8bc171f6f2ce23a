import { polygonReadiness } from './readiness';

const streaming = {
  authenticated: true,
  silent: false,
  state: 'streaming' as const,
};

describe('polygon readiness', () => {
  it('is ready as a leader while authenticated and not silent', () => {
    expect(
      polygonReadiness({
        leader: true,
        cannotLead: null,
        client: streaming,
        fatal: false,
        stopping: false,
      }),
    ).toEqual({ ok: true, detail: 'leader, streaming' });
  });

  it('is not ready as a leader whose feed went silent or is not authenticated', () => {
    const base = {
      leader: true,
      cannotLead: null,
      fatal: false,
      stopping: false,
    };
    expect(
      polygonReadiness({ ...base, client: { ...streaming, silent: true } }),
    ).toEqual({
      ok: false,
      detail: 'leader, streaming, feed silent (no trades in the data window)',
    });
    expect(
      polygonReadiness({
        ...base,
        client: { authenticated: false, silent: false, state: 'connecting' },
      }).ok,
    ).toBe(false);
  });

  it('is ready as a standby unless the key was rejected or it is stopping', () => {
    const standby = { leader: false, cannotLead: null, client: streaming };
    expect(
      polygonReadiness({ ...standby, fatal: false, stopping: false }),
    ).toEqual({ ok: true, detail: 'standby' });
    expect(
      polygonReadiness({ ...standby, fatal: true, stopping: false }).ok,
    ).toBe(false);
    expect(
      polygonReadiness({ ...standby, fatal: false, stopping: true }).ok,
    ).toBe(false);
  });

  it('is not ready as a standby that Redis will never let lead', () => {
    expect(
      polygonReadiness({
        leader: false,
        cannotLead: "READONLY You can't write against a read only replica.",
        client: streaming,
        fatal: false,
        stopping: false,
      }),
    ).toEqual({
      ok: false,
      detail:
        "standby that cannot take the lease: READONLY You can't write against a read only replica.",
    });
  });
});
