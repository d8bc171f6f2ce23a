import { waitFor } from '@tickpulse/testkit';
import { WebSocket } from 'ws';
import { createPolygonSim, type PolygonSim } from '../src';

const SNAPSHOT = '/v2/snapshot/locale/us/markets/stocks/tickers';

/** Quotes every integer of 16+ digits so the test reads ns values exactly. */
const parseExact = (text: string) =>
  JSON.parse(text.replace(/([:[,])(\d{16,})(?=[,}\]])/g, '$1"$2"'));

describe('polygon-sim REST', () => {
  let sim: PolygonSim;
  let base: string;
  afterEach(() => sim.close());

  const get = async (path: string, key = 'k1') => {
    const res = await fetch(path.startsWith('http') ? path : base + path, {
      headers: { authorization: `Bearer ${key}` },
    });
    return { status: res.status, text: await res.text() };
  };

  const start = async (opts: Parameters<typeof createPolygonSim>[0]) => {
    sim = createPolygonSim({ apiKeys: ['k1'], ...opts });
    const port = await sim.listen(0);
    base = `http://127.0.0.1:${port}`;
  };

  it('keeps generating with no client connected; snapshot and trades agree with the frames sent', async () => {
    await start({
      rate: 3000,
      tickers: 50,
      tickMs: 10,
      historyPerTicker: 5000,
    });
    await waitFor(() => sim.stats().historyPrints > 200);
    expect(sim.stats().connections).toBe(0);

    const ws = new WebSocket(sim.url());
    const seen: { sym: string; t: number; i: string; c?: number[] }[] = [];
    ws.on('message', data => {
      // Frame times are ms (exact as numbers); `i` is the trade id.
      const events = JSON.parse(String(data)) as (
        (typeof seen)[number] | { ev: 'status'; status: string }
      )[];
      for (const s of events) {
        if (!('status' in s)) {
          seen.push(s);
          continue;
        }
        if (s.status === 'connected')
          ws.send(JSON.stringify({ action: 'auth', params: 'k1' }));
        if (s.status === 'auth_success')
          ws.send(JSON.stringify({ action: 'subscribe', params: 'T.*' }));
      }
    });
    await waitFor(() => seen.length > 500);
    sim.setRate(0);
    await new Promise(resolve => {
      ws.once('close', resolve);
      ws.close();
    });

    const snap = parseExact((await get(SNAPSHOT)).text);
    expect(snap.status).toBe('OK');
    const last = new Map<string, { t: string; i: string }>(
      snap.tickers.map(
        (x: { ticker: string; lastTrade: { t: string; i: string } }) => [
          x.ticker,
          x.lastTrade,
        ],
      ),
    );
    // Every streamed trade is in its ticker's history with the same id and
    // millisecond, and no streamed trade is newer than the snapshot's lastTrade.
    const sym = seen[seen.length - 1]!.sym;
    const trades = parseExact(
      (await get(`/v3/trades/${encodeURIComponent(sym)}?limit=50000`)).text,
    ).results as { id: string; sip_timestamp: string; conditions?: number[] }[];
    const byId = new Map(trades.map(r => [r.id, r.sip_timestamp]));
    const condsById = new Map(trades.map(r => [r.id, r.conditions]));
    const mine = seen.filter(s => s.sym === sym).slice(-20);
    for (const s of mine) {
      expect(byId.has(s.i)).toBe(true);
      expect(BigInt(byId.get(s.i)!) / 1_000_000n).toBe(BigInt(s.t));
      expect(condsById.get(s.i)).toEqual(s.c);
    }
    for (const s of seen) {
      const lt = last.get(s.sym);
      expect(lt).toBeDefined();
      expect(BigInt(lt!.t) / 1_000_000n >= BigInt(s.t)).toBe(true);
    }
    // Newest first by default.
    const ns = trades.map(r => BigInt(r.sip_timestamp));
    expect(ns).toEqual([...ns].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
  });

  it('pages with next_url (small page size), filters by ns bounds, keeps ns digits exact', async () => {
    await start({ rate: 0, tickers: 20, restPageSize: 2 });
    const sym = sim.tickers[3]!.sym;
    const t0 = 1_800_000_000_000_000_000n;
    const added = sim.addPrints(
      [0, 1, 2, 3, 4, 5, 6].map(j => ({
        sym,
        sipNs: t0 + BigInt(j) * 1_000_000n + 999_999n,
        conditions: j % 2 ? [37] : undefined,
      })),
    );
    expect(added).toBe(7);
    expect(sim.addPrints([{ sym: 'NOT-LISTED', sipNs: '1' }])).toBe(0);

    const seen: string[] = [];
    let url: string | undefined =
      `/v3/trades/${sym}?order=desc&limit=1000&timestamp.gte=${t0 + 1_000_000n}&timestamp.lte=${t0 + 5_999_999n}`;
    let pages = 0;
    while (url) {
      const { status, text } = await get(url);
      expect(status).toBe(200);
      const body = parseExact(text);
      seen.push(
        ...body.results.map((r: { sip_timestamp: string }) => r.sip_timestamp),
      );
      url = body.next_url;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(
      [5, 4, 3, 2, 1].map(j => String(t0 + BigInt(j) * 1_000_000n + 999_999n)),
    );
    // The raw body carries the digits as a JSON integer.
    const raw = (await get(`/v3/trades/${sym}?limit=1`)).text;
    expect(raw).toContain(`"sip_timestamp":${t0 + 6_999_999n},`);
    expect(raw).toContain('"next_url":"http://');

    const asc = parseExact(
      (await get(`/v3/trades/${sym}?order=asc&limit=2`)).text,
    );
    expect(
      asc.results.map((r: { conditions?: number[] }) => r.conditions),
    ).toEqual([undefined, [37]]);
    expect((await get(`/v3/trades/${sym}?order=sideways`)).status).toBe(400);
    expect((await get(`/v3/trades/${sym}?limit=50001`)).status).toBe(400);

    const snap = parseExact((await get(`${SNAPSHOT}?tickers=${sym}`)).text);
    expect(snap.count).toBe(1);
    expect(snap.tickers[0].lastTrade).toMatchObject({
      t: String(t0 + 6_999_999n),
    });
  });

  it('authenticates by apiKey or bearer, 401 otherwise; injected faults are served once each and counted', async () => {
    await start({ rate: 0, tickers: 5 });
    sim.addPrints([{ sym: sim.tickers[0]!.sym, sipNs: '1800000000000000000' }]);
    expect((await fetch(`${base}${SNAPSHOT}?apiKey=k1`)).status).toBe(200);
    expect((await get(SNAPSHOT)).status).toBe(200);
    const wrong = await get(SNAPSHOT, 'nope');
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text)).toMatchObject({
      status: 'ERROR',
      error: 'Unknown API Key',
    });
    expect((await fetch(base + SNAPSHOT)).status).toBe(401);

    sim.injectRestFault('rate_limit', 1, 'trades');
    sim.injectRestFault('server_error');
    sim.injectRestFault('malformed');
    sim.injectRestFault('forbidden');
    // The trades fault does not hit the snapshot.
    expect((await get(SNAPSHOT)).status).toBe(500);
    const malformed = await get(SNAPSHOT);
    expect(malformed.status).toBe(200);
    expect(() => JSON.parse(malformed.text)).toThrow();
    expect((await get(SNAPSHOT)).status).toBe(403);
    expect((await get('/v3/trades/X')).status).toBe(429);
    expect((await get(SNAPSHOT)).status).toBe(200);
    expect(sim.stats().restRequests).toMatchObject({
      'snapshot 200': 3,
      'snapshot 401': 2,
      'snapshot 500': 1,
      'snapshot malformed': 1,
      'snapshot 403': 1,
      'trades 429': 1,
    });
  });
});
