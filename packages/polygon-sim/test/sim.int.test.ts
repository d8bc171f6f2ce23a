import { waitFor } from '@tickpulse/testkit';
import { parseFrame, type StatusEvent } from '@tickpulse/polygon';
import { WebSocket } from 'ws';
import { createPolygonSim, createUniverse, type PolygonSim } from '../src';

/** A raw protocol client that records every frame. */
function connect(url: string) {
  const ws = new WebSocket(url);
  const statuses: StatusEvent[] = [];
  const trades: { sym: string; t: number; c?: number[] }[] = [];
  let invalid = 0;
  let closeCode: number | undefined;
  ws.on('message', data => {
    const f = parseFrame(data as Buffer);
    statuses.push(...f.statuses);
    trades.push(...f.trades);
    invalid += Object.values(f.invalid).reduce((a, b) => a + b, 0);
  });
  ws.on('close', code => (closeCode = code));
  return {
    ws,
    statuses,
    trades,
    invalid: () => invalid,
    closeCode: () => closeCode,
    send: (o: object) => ws.send(JSON.stringify(o)),
    has: (s: string) => statuses.some(e => e.status === s),
  };
}

describe('polygon-sim', () => {
  let sim: PolygonSim;
  afterEach(() => sim.close());

  it('speaks the protocol: connected → auth → per-param subscribe acks → trades', async () => {
    sim = createPolygonSim({ apiKeys: ['k1'], rate: 2000, tickers: 500 });
    await sim.listen(0);
    const c = connect(sim.url());
    await waitFor(() => c.has('connected'));
    c.send({ action: 'auth', params: 'k1' });
    await waitFor(() => c.has('auth_success'));
    c.send({ action: 'subscribe', params: 'T.*,T.AAPL' });
    await waitFor(
      () => c.statuses.filter(s => s.status === 'success').length === 2,
    );
    expect(c.statuses.map(s => s.message)).toContain('subscribed to: T.*');
    await waitFor(() => c.trades.length >= 2000, { timeoutMs: 15_000 });
    expect(c.invalid()).toBe(0);
    const oddLots =
      c.trades.filter(t => t.c?.includes(37)).length / c.trades.length;
    expect(oddLots).toBeGreaterThan(0.4);
    expect(oddLots).toBeLessThan(0.6);
    expect(c.trades.some(t => t.c?.includes(14))).toBe(true);
    c.ws.close();
  });

  it('sends a per-ticker subscriber only its tickers, as text frames', async () => {
    sim = createPolygonSim({ rate: 20_000, tickers: 200 });
    await sim.listen(0);
    const c = connect(sim.url());
    let binary = 0;
    c.ws.on('message', (_d, isBinary) => {
      if (isBinary) binary++;
    });
    await waitFor(() => c.has('connected'));
    c.send({ action: 'auth', params: 'k' });
    c.send({ action: 'subscribe', params: 'T.SPY,T.AAPL' });
    await waitFor(() => c.trades.length >= 200, { timeoutMs: 15_000 });
    expect(new Set(c.trades.map(t => t.sym))).toEqual(new Set(['SPY', 'AAPL']));
    expect(c.invalid()).toBe(0);
    expect(binary).toBe(0);
    c.ws.close();
  });

  it('rejects a wrong key with auth_failed and closes', async () => {
    sim = createPolygonSim({ apiKeys: ['good'] });
    await sim.listen(0);
    const c = connect(sim.url());
    await waitFor(() => c.has('connected'));
    c.send({ action: 'auth', params: 'bad' });
    await waitFor(() => c.closeCode() !== undefined);
    expect(c.has('auth_failed')).toBe(true);
    expect(sim.stats().authFailures).toBe(1);
  });

  it('keeps one connection per account: the newcomer evicts the older one', async () => {
    sim = createPolygonSim({ apiKeys: ['k'] });
    await sim.listen(0);
    const a = connect(sim.url());
    await waitFor(() => a.has('connected'));
    a.send({ action: 'auth', params: 'k' });
    await waitFor(() => a.has('auth_success'));
    const b = connect(sim.url());
    await waitFor(() => b.has('connected'));
    b.send({ action: 'auth', params: 'k' });
    await waitFor(() => a.closeCode() !== undefined);
    expect(a.has('max_connections')).toBe(true);
    expect(a.closeCode()).toBe(1008);
    expect(b.closeCode()).toBeUndefined();
    expect(sim.stats()).toMatchObject({
      evictions: 1,
      maxConcurrentPerAccount: 2,
      authenticated: 1,
    });
    b.ws.close();
  });

  it('sends scripted frames exactly, and malformed ones on request', async () => {
    sim = createPolygonSim({ apiKeys: [] });
    await sim.listen(0);
    const c = connect(sim.url());
    await waitFor(() => c.has('connected'));
    c.send({ action: 'auth', params: 'any' });
    c.send({ action: 'subscribe', params: 'T.*' });
    await waitFor(() => sim.stats().subscribed === 1);
    const t = Date.now();
    expect(
      sim.sendFrames([
        [{ ev: 'T', sym: 'ABC', x: 4, p: 1, s: 1, t }],
        `[{"ev":"T","sym":"XYZ","t":${t}}]`,
      ]),
    ).toBe(1);
    sim.sendMalformed('not_json');
    sim.sendMalformed('bad_fields');
    await waitFor(() => c.trades.length === 2 && c.invalid() === 4);
    expect(c.trades.map(x => x.sym)).toEqual(['ABC', 'XYZ']);
    c.ws.close();
  });

  it('stops answering pings when stalled', async () => {
    sim = createPolygonSim();
    await sim.listen(0);
    const c = connect(sim.url());
    await waitFor(() => c.has('connected'));
    let pongs = 0;
    c.ws.on('pong', () => pongs++);
    c.ws.ping();
    await waitFor(() => pongs === 1);
    sim.stall(true);
    c.ws.ping();
    await waitFor(() => sim.stats().pingsReceived === 2);
    await new Promise(r => setTimeout(r, 200));
    expect(pongs).toBe(1);
    c.ws.close();
  });

  it('leaves auth unanswered while ignoring it, then sends auth_timeout and closes', async () => {
    sim = createPolygonSim({ apiKeys: ['k1'], authTimeoutMs: 300 });
    await sim.listen(0);
    sim.ignoreAuth(true);
    const c = connect(sim.url());
    await waitFor(() => c.has('connected'));
    c.send({ action: 'auth', params: 'k1' });
    await waitFor(() => c.closeCode() !== undefined);
    expect(c.statuses.map(s => s.status)).toEqual([
      'connected',
      'auth_timeout',
    ]);
    expect(c.closeCode()).toBe(1008);
    expect(sim.stats()).toMatchObject({ authIgnored: 1, authSuccesses: 0 });

    sim.ignoreAuth(false);
    const d = connect(sim.url());
    await waitFor(() => d.has('connected'));
    d.send({ action: 'auth', params: 'k1' });
    await waitFor(() => d.has('auth_success'));
    d.ws.close();
  });

  it('generates a deterministic universe of valid, distinct tickers', () => {
    const a = createUniverse(10_000, 1);
    const b = createUniverse(10_000, 1);
    expect(a.map(t => t.sym)).toEqual(b.map(t => t.sym));
    expect(new Set(a.map(t => t.sym)).size).toBe(10_000);
    expect(a.every(t => /^[A-Z0-9][A-Z0-9./-]{0,15}$/.test(t.sym))).toBe(true);
  });
});
