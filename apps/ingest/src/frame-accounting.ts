import type { FrameResult, JsonBounds } from '@tickpulse/polygon';
import { logEvery, type Logger } from '@tickpulse/service-kit';
import type { IngestMetrics } from './metrics.js';

/** Reasons the parser refuses a whole frame for its size or shape. */
const FRAME_REFUSALS = [
  'frame_too_large',
  'frame_too_deep',
  'frame_too_many_values',
] as const;

/**
 * Books one processed frame: counts, lag, log lines.
 *
 * @param r what the processor made of the frame.
 * @param bytes the frame's size, for the refusal log line.
 * @param now Unix ms the frame was read at.
 * @returns the valid trades the frame carried (eligible, refused at the
 *   ticker cap or filtered by the policy).
 */
export type FrameAccounting = (
  r: FrameResult,
  bytes: number,
  now: number,
) => number;

/**
 * Creates the per-frame bookkeeping of the hot path.
 *
 * @param deps.metrics per-frame counts go into `frameTotals`.
 * @param deps.frameBounds the parser's bounds, named when a frame is refused.
 * @param deps.onTickersRefused the frame had trades of new symbols past the ticker cap.
 * @param deps.onRead the newest valid trade time of a frame, capped at now.
 */
export function createFrameAccounting(deps: {
  metrics: Pick<IngestMetrics, 'frameTotals' | 'invalid' | 'lag'>;
  log: Logger;
  frameBounds: JsonBounds;
  onTickersRefused: (now: number) => void;
  onRead: (ms: number) => void;
}): FrameAccounting {
  const { metrics, log } = deps;
  const warnInvalid = logEvery(10_000);
  // Its own gate: a refused frame must be named even when other invalid
  // events were just logged.
  const warnFrame = logEvery(10_000);
  // Per-frame counts go into plain accumulators and reach prom-client when
  // the metrics are read (collect hook) or every second, instead of several
  // counter calls (label hashing included) per frame.
  const acc = metrics.frameTotals;

  const warnRefusedFrame = (r: FrameResult, bytes: number, now: number) => {
    const reason = r.invalid && FRAME_REFUSALS.find(k => r.invalid![k]);
    if (!reason) return;
    warnFrame(
      suppressed =>
        log.warn(
          { reason, bytes, ...deps.frameBounds, suppressed },
          'refused a frame past MAX_FRAME_BYTES or its nesting or value bound, unread (logged at most every 10 s)',
        ),
      now,
    );
  };

  return (r, bytes, now) => {
    acc.frames++;
    acc.received += r.received;
    acc.eligible += r.eligible;
    if (r.refused > 0) deps.onTickersRefused(now);
    if (r.filtered)
      for (const [id, n] of r.filtered)
        acc.filtered.set(id, (acc.filtered.get(id) ?? 0) + n);
    if (r.invalid) {
      for (const [reason, n] of Object.entries(r.invalid))
        metrics.invalid.inc({ reason }, n);
      warnInvalid(
        () =>
          log.warn(
            { invalid: r.invalid },
            'skipped invalid frames/events (logged at most every 10 s)',
          ),
        now,
      );
    }
    acc.unknownConditions += r.unknownConditions;
    acc.ignored += r.ignored;
    if (r.newestMs >= 0) {
      metrics.lag.observe(Math.max(0, now - r.newestMs) / 1000);
      deps.onRead(Math.min(r.newestMs, now));
    }
    warnRefusedFrame(r, bytes, now);
    // Valid trades only: a peer sending garbage events is as silent as one
    // sending nothing.
    let trades = r.eligible + r.refused;
    if (r.filtered) for (const n of r.filtered.values()) trades += n;
    return trades;
  };
}

/**
 * A notice that the coalescer refused trades of new symbols at its ticker
 * cap, logged at most once a minute.
 *
 * @returns a function to call, with the current time, on every refusal.
 */
export function createTickerCapNotice(deps: {
  log: Logger;
  maxTickers: number;
  coalescer: { readonly refused: number; readonly refusedTickers: number };
}): (now: number) => void {
  // A feed or snapshot naming more symbols than any market has is broken or
  // hostile: say so loudly, but at most once a minute however long it lasts.
  const warnRefused = logEvery(60_000);
  return now =>
    void warnRefused(
      () =>
        deps.log.error(
          {
            maxTickers: deps.maxTickers,
            refusedTrades: deps.coalescer.refused,
            refusedTickers: deps.coalescer.refusedTickers,
          },
          'MAX_TICKERS reached: trades of new symbols are dropped (known tickers keep updating). ' +
            'The feed or a REST snapshot names more symbols than the market has; raise MAX_TICKERS only if it really does',
        ),
      now,
    );
}
