import { Writable } from 'node:stream';
import {
  createCoalescer,
  DEFAULT_FRAME_BOUNDS,
  type FrameResult,
} from '@tickpulse/polygon';
import { createLogger } from '@tickpulse/service-kit';
import { Registry } from 'prom-client';
import {
  createFrameAccounting,
  createTickerCapNotice,
} from './frame-accounting';
import { createIngestMetrics } from './metrics';

const T0 = 1_752_586_200_000;

/** A logger whose lines land in `lines`, parsed. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    service: 'test',
    destination: new Writable({
      write: (chunk, _e, cb) => {
        lines.push(JSON.parse(String(chunk)));
        cb();
      },
    }),
  });
  return { log, lines };
}

function frame(over: Partial<FrameResult> = {}): FrameResult {
  return {
    received: 0,
    eligible: 0,
    refused: 0,
    invalid: null,
    filtered: null,
    unknownConditions: 0,
    ignored: 0,
    statuses: [],
    newestMs: -1,
    ...over,
  };
}

function setup() {
  const metrics = createIngestMetrics(new Registry(), createCoalescer());
  const { log, lines } = capturedLogger();
  const refusedAt: number[] = [];
  const reads: number[] = [];
  const account = createFrameAccounting({
    metrics,
    log,
    frameBounds: DEFAULT_FRAME_BOUNDS,
    onTickersRefused: now => refusedAt.push(now),
    onRead: ms => reads.push(ms),
  });
  return { account, metrics, lines, refusedAt, reads };
}

const messages = (lines: Array<Record<string, unknown>>) =>
  lines.map(l => l.msg);

describe('frame accounting', () => {
  it('adds frame counts to the totals and returns the valid trades', () => {
    const { account, metrics } = setup();
    const trades = account(
      frame({
        received: 9,
        eligible: 4,
        refused: 1,
        filtered: new Map([[12, 2]]),
        invalid: { bad_field: 2 },
        unknownConditions: 3,
        ignored: 5,
      }),
      100,
      T0,
    );
    // Invalid trades are not counted: a peer sending garbage is silent.
    expect(trades).toBe(4 + 1 + 2);
    account(frame({ received: 1, filtered: new Map([[12, 1]]) }), 10, T0);
    const t = metrics.frameTotals;
    expect([t.frames, t.received, t.eligible, t.ignored]).toEqual([
      2, 10, 4, 5,
    ]);
    expect(t.unknownConditions).toBe(3);
    expect(t.filtered.get(12)).toBe(3);
  });

  it('reports the newest trade time, capped at now, and observes the lag', async () => {
    const { account, metrics, reads } = setup();
    account(frame({ newestMs: T0 - 2000 }), 10, T0);
    account(frame({ newestMs: T0 + 500 }), 10, T0);
    account(frame(), 10, T0);
    expect(reads).toEqual([T0 - 2000, T0]);
    const lag = (await metrics.lag.get()).values;
    expect(lag.find(v => v.metricName?.endsWith('_count'))?.value).toBe(2);
    expect(lag.find(v => v.metricName?.endsWith('_sum'))?.value).toBe(2);
  });

  it('tells when the ticker cap refused trades', () => {
    const { account, refusedAt } = setup();
    account(frame({ eligible: 3 }), 10, T0);
    account(frame({ refused: 2 }), 10, T0 + 1);
    expect(refusedAt).toEqual([T0 + 1]);
  });

  it('names a refused frame even right after other invalid events were logged', () => {
    const { account, lines } = setup();
    account(frame({ invalid: { bad_field: 1 } }), 10, T0);
    account(frame({ invalid: { frame_too_large: 1 } }), 5_000_000, T0 + 1);
    expect(messages(lines)).toEqual([
      'skipped invalid frames/events (logged at most every 10 s)',
      'refused a frame past MAX_FRAME_BYTES or its nesting or value bound, unread (logged at most every 10 s)',
    ]);
    expect(lines[1]).toMatchObject({
      reason: 'frame_too_large',
      bytes: 5_000_000,
      maxBytes: DEFAULT_FRAME_BOUNDS.maxBytes,
    });
  });

  it('logs invalid events at most every 10 s and counts every one', async () => {
    const { account, lines, metrics } = setup();
    account(frame({ invalid: { bad_field: 1 } }), 10, T0);
    account(frame({ invalid: { bad_field: 2 } }), 10, T0 + 9_999);
    expect(lines).toHaveLength(1);
    account(frame({ invalid: { bad_field: 1 } }), 10, T0 + 10_000);
    expect(lines).toHaveLength(2);
    const counted = (await metrics.invalid.get()).values.find(
      v => v.labels.reason === 'bad_field',
    );
    expect(counted?.value).toBe(4);
  });
});

describe('ticker cap notice', () => {
  it('logs the refusal counts at most once a minute', () => {
    const { log, lines } = capturedLogger();
    const coalescer = { refused: 7, refusedTickers: 3 };
    const note = createTickerCapNotice({ log, maxTickers: 50, coalescer });
    note(T0);
    note(T0 + 59_999);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      maxTickers: 50,
      refusedTrades: 7,
      refusedTickers: 3,
    });
    note(T0 + 60_000);
    expect(lines).toHaveLength(2);
  });
});
