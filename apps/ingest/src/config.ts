import {
  DEFAULT_FRAME_BOUNDS,
  parseConditionPolicy,
  POLYGON_REST_URL,
  POLYGON_STOCKS_URL,
} from '@tickpulse/polygon';
import {
  baseEnvSchema,
  MAX_DURATION_MS,
  MAX_TICK_BATCH_ENTRIES,
  parseEnv,
  milliseconds,
  positiveInt,
  TICK_FUTURE_TOLERANCE_MS,
} from '@tickpulse/shared';
import { z } from 'zod';
import { parseDataWindow } from './data-window.js';

/** The local polygon-sim, used when no API key is configured. */
export const SIMULATOR_WS_URL = 'ws://127.0.0.1:9100/stocks';
/** The key sent to the simulator when none is configured (it accepts any key by default). */
export const SIMULATOR_API_KEY = 'tickpulse-sim';

const wsUrl = z.string().refine(s => /^wss?:\/\//.test(s) && URL.canParse(s), {
  message: 'must be a ws:// or wss:// URL',
});

const httpUrl = z
  .string()
  .refine(s => /^https?:\/\//.test(s) && URL.canParse(s), {
    message: 'must be an http:// or https:// URL',
  });

/**
 * The REST base next to a local WebSocket (polygon-sim serves both on one
 * port): `ws://127.0.0.1:9100/stocks` → `http://127.0.0.1:9100`.
 */
function restUrlBeside(wsUrl: string): string {
  const u = new URL(wsUrl);
  return `${u.protocol === 'wss:' ? 'https' : 'http'}://${u.host}`;
}

/** A delayed cluster: its snapshot is 15 minutes old, so it cannot heal a recent gap. */
function isDelayed(wsUrl: string): boolean {
  return new URL(wsUrl).hostname.startsWith('delayed.');
}

function isLocal(url: string): boolean {
  const host = new URL(url).hostname;
  return (
    host === '127.0.0.1' ||
    host === 'localhost' ||
    host === '::1' ||
    host === '[::1]'
  );
}

/** ingest's environment (every variable is documented in apps/ingest/README.md). */
export const ConfigSchema = z
  .object({
    ...baseEnvSchema(9101),
    // ---- Polygon ----
    /** Polygon/Massive API key. Unset: ingest connects to the local simulator instead. */
    POLYGON_API_KEY: z.string().trim().min(1).optional(),
    /** Stocks WebSocket. Default: the real-time cluster with a key, the local simulator without. */
    POLYGON_WS_URL: wsUrl.optional(),
    /** Comma-separated subscription params sent after auth. */
    POLYGON_SUBSCRIPTIONS: z
      .string()
      .default('T.*')
      .refine(
        s => s.split(',').every(p => /^T\.[A-Za-z0-9.*/-]+$/.test(p.trim())),
        {
          message:
            'must be comma-separated T.<ticker> params, e.g. T.* or T.AAPL,T.MSFT',
        },
      )
      .transform(s =>
        s
          .split(',')
          .map(p => p.trim())
          .join(','),
      ),
    /** `backend`, `sip-last`, or a comma-separated list of excluded condition ids. */
    CONDITION_POLICY: z
      .string()
      .default('backend')
      .transform((s, ctx) => {
        try {
          return parseConditionPolicy(s);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
    /**
     * Largest WebSocket frame read (bytes). Polygon's frames stay far below
     * it (the official Go client reads at most 1 MB); a larger one is
     * counted and dropped unread, and the stream goes on.
     */
    MAX_FRAME_BYTES: positiveInt(DEFAULT_FRAME_BOUNDS.maxBytes),
    // ---- Coalescing and publishing ----
    /** How often the pending per-ticker map becomes one `ticks` job. */
    FLUSH_INTERVAL_MS: milliseconds(50),
    /** Flush early when this many tickers are pending. */
    FLUSH_MAX_TICKERS: positiveInt(5000),
    /**
     * Most distinct tickers ingest accepts (from the stream and from REST
     * backfill) for the life of the process. Well above the ~12 000 listed US
     * stocks plus the OTC symbols `T.*` carries; past it trades of new
     * symbols are counted and dropped, known tickers keep updating.
     */
    MAX_TICKERS: positiveInt(50_000),
    /**
     * Most tickers in one `ticks` job: a larger flush (after holding back)
     * becomes several jobs. At most ≈ 27 bytes a ticker, so 10 000 keep a
     * job under ≈ 0.3 MB and the 10 failed ones kept under ≈ 3 MB.
     */
    TICKS_JOB_MAX_TICKERS: positiveInt(10_000).refine(
      n => n <= MAX_TICK_BATCH_ENTRIES,
      `must be at most ${MAX_TICK_BATCH_ENTRIES} (the most tick-writer accepts in one job)`,
    ),
    /** A publish that takes longer counts as failed and is merged back. */
    PUBLISH_TIMEOUT_MS: milliseconds(5000),
    /**
     * Most `ticks` jobs waiting, active or awaiting a retry; beyond it ingest
     * holds back and keeps merging, so Redis never holds more batches than this.
     */
    TICKS_MAX_PENDING_JOBS: positiveInt(4),
    // ---- Connection health ----
    /** WebSocket ping period. */
    PING_INTERVAL_MS: milliseconds(25_000),
    /** No frame and no pong for this long: the connection is dead. */
    READ_TIMEOUT_MS: milliseconds(30_000),
    /** From socket open to `auth_success`. */
    AUTH_TIMEOUT_MS: milliseconds(10_000),
    /** First reconnect delay (doubles per attempt, ±50 % jitter). */
    RECONNECT_MIN_MS: milliseconds(1000),
    /** Reconnect delay cap. */
    RECONNECT_MAX_MS: milliseconds(30_000),
    /** Backoff resets only after a connection stayed authenticated this long. */
    HEALTHY_AFTER_MS: milliseconds(10_000),
    /** Wait after `max_connections` (another connection took the account). */
    MAX_CONNECTIONS_COOLDOWN_MS: milliseconds(60_000),
    /**
     * Subscribed but no trade for this long inside DATA_WINDOW: the feed is
     * silent (pings still answered); reconnect. 0 disables.
     */
    DATA_IDLE_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .nonnegative()
      .max(MAX_DURATION_MS, `must be at most ${MAX_DURATION_MS} ms`)
      .default(60_000),
    /** When trades are expected: `HH:MM-HH:MM` New York time, Monday to Friday, or `always`. */
    DATA_WINDOW: z
      .string()
      .default('09:30-16:00')
      .transform((s, ctx) => {
        const r = parseDataWindow(s);
        if (r.ok) return r.window;
        ctx.addIssue({ code: 'custom', message: r.reason });
        return z.NEVER;
      }),
    // ---- Gap healing (REST backfill) ----
    /** REST base. Default: beside a local WebSocket (the simulator), else the official host. */
    POLYGON_REST_URL: httpUrl.optional(),
    /** Allow ws:// and http:// (no TLS) to a host other than this one: the key would cross the network in clear. */
    ALLOW_PLAINTEXT_FEED: z.stringbool().default(false),
    /** Heal gaps from REST. Default: on, except on a delayed cluster. */
    BACKFILL_ENABLED: z.stringbool().optional(),
    /** `/v3/trades` lookups in flight at once. */
    BACKFILL_CONCURRENCY: positiveInt(4),
    /**
     * HTTP attempts one gap may send (snapshot, pages, retries). A gap near
     * BACKFILL_MAX_GAP_MS (and every rebuild after a Redis data loss) needs
     * about one lookup per ticker whose last print is ineligible: ~5 000 of
     * a 10 000-ticker market (see the README's gap-healing section).
     */
    BACKFILL_REQUEST_BUDGET: positiveInt(15_000),
    /** Longer gaps are healed only over their last this many ms. */
    BACKFILL_MAX_GAP_MS: milliseconds(15 * 60_000),
    /** Healing starts this long before the watermark (late and out-of-order prints, clock skew). */
    BACKFILL_MARGIN_MS: milliseconds(2000),
    /**
     * Largest REST response body read (bytes). A full-market snapshot's
     * documented fields come to an estimated ≈ 600 B a ticker, ≈ 7 MB for
     * 12 000 tickers; a larger body is refused without parsing it and that
     * gap is not healed from it.
     */
    BACKFILL_MAX_BODY_BYTES: positiveInt(32 * 1024 * 1024),
    /** Deadline of one REST request. */
    BACKFILL_REQUEST_TIMEOUT_MS: milliseconds(10_000),
    /** First retry delay after a 429/5xx/timeout (doubles, ±50 % jitter, up to 8×). */
    BACKFILL_RETRY_MIN_MS: milliseconds(500),
    // ---- Leader election ----
    /** Lease TTL: bounds failover time after a leader dies. Renewed every TTL/3. */
    LEASE_TTL_MS: milliseconds(5000),
    /** How often a standby tries to take the lease. */
    LEASE_POLL_MS: milliseconds(1000),
    /**
     * A leader whose stream has not been live (subscribed) for this long
     * releases the lease so that a standby can try; 0 never steps down.
     * Default: 60 s, or 2 × LEASE_TTL_MS when that is longer (a deployment
     * with a long lease keeps a valid configuration).
     */
    LEADER_STEP_DOWN_AFTER_MS: z.coerce
      .number()
      .int()
      .nonnegative()
      .max(
        MAX_DURATION_MS,
        `must be at most ${MAX_DURATION_MS} ms (about 24.8 days; Node's timers fire at once beyond that)`,
      )
      .optional(),
    // ---- Trade time bounds ----
    /** Trades timestamped further ahead of the local clock are rejected. */
    TRADE_FUTURE_TOLERANCE_MS: milliseconds(TICK_FUTURE_TOLERANCE_MS),
    /** Trades older than this are rejected. */
    TRADE_MAX_AGE_MS: milliseconds(24 * 3600_000),
    // ---- Operations ----
    /** Period of the one-line counter summary. */
    SUMMARY_INTERVAL_MS: milliseconds(5 * 60_000),
    /** Budget for the final flush on SIGTERM. */
    SHUTDOWN_FLUSH_MS: milliseconds(10_000),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.READ_TIMEOUT_MS <= cfg.PING_INTERVAL_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['READ_TIMEOUT_MS'],
        message: 'must be greater than PING_INTERVAL_MS',
      });
    }
    if (cfg.RECONNECT_MAX_MS < cfg.RECONNECT_MIN_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['RECONNECT_MAX_MS'],
        message: 'must be at least RECONNECT_MIN_MS',
      });
    }
    if (cfg.LEASE_TTL_MS < 1000) {
      ctx.addIssue({
        code: 'custom',
        path: ['LEASE_TTL_MS'],
        message: 'must be at least 1000',
      });
    }
    // A shorter period could step down before a fresh leader's first
    // connection had a chance (it may wait ¾ TTL after a Redis data loss).
    if (
      cfg.LEADER_STEP_DOWN_AFTER_MS !== undefined &&
      cfg.LEADER_STEP_DOWN_AFTER_MS !== 0 &&
      cfg.LEADER_STEP_DOWN_AFTER_MS <= cfg.LEASE_TTL_MS
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['LEADER_STEP_DOWN_AFTER_MS'],
        message: 'must be 0 (never step down) or greater than LEASE_TTL_MS',
      });
    }
    for (const name of ['POLYGON_WS_URL', 'POLYGON_REST_URL'] as const) {
      const url = cfg[name];
      if (!url) continue;
      const u = new URL(url);
      // Credentials in a URL end up in errors and traces; the key travels
      // only as a header (REST) or in the auth message (WebSocket).
      if (u.username || u.password)
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message:
            'must not carry credentials (user:password@): set the key in POLYGON_API_KEY',
        });
      if (
        (u.protocol === 'ws:' || u.protocol === 'http:') &&
        !isLocal(url) &&
        !cfg.ALLOW_PLAINTEXT_FEED
      )
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `is plaintext (${u.protocol}//) to another host: the API key would cross the network in clear; use ${u.protocol === 'ws:' ? 'wss' : 'https'}:// or set ALLOW_PLAINTEXT_FEED=true`,
        });
    }
    if (
      !cfg.POLYGON_API_KEY &&
      cfg.POLYGON_REST_URL &&
      !isLocal(cfg.POLYGON_REST_URL)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['POLYGON_API_KEY'],
        message: 'is required for a non-local POLYGON_REST_URL',
      });
    }
    if (
      !cfg.POLYGON_API_KEY &&
      cfg.POLYGON_WS_URL &&
      !isLocal(cfg.POLYGON_WS_URL)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['POLYGON_API_KEY'],
        message: 'is required for a non-local POLYGON_WS_URL',
      });
    }
  })
  .transform(cfg => {
    const ws =
      cfg.POLYGON_WS_URL ??
      (cfg.POLYGON_API_KEY ? POLYGON_STOCKS_URL : SIMULATOR_WS_URL);
    return {
      ...cfg,
      POLYGON_WS_URL: ws,
      POLYGON_REST_URL:
        cfg.POLYGON_REST_URL ??
        (isLocal(ws) ? restUrlBeside(ws) : POLYGON_REST_URL),
      BACKFILL_ENABLED: cfg.BACKFILL_ENABLED ?? !isDelayed(ws),
      LEADER_STEP_DOWN_AFTER_MS:
        cfg.LEADER_STEP_DOWN_AFTER_MS ?? Math.max(60_000, 2 * cfg.LEASE_TTL_MS),
      POLYGON_API_KEY: cfg.POLYGON_API_KEY ?? SIMULATOR_API_KEY,
      /** True when no key was configured (talking to the simulator). */
      usingSimulator: !cfg.POLYGON_API_KEY,
    };
  });

export type IngestConfig = z.infer<typeof ConfigSchema>;

/** Validates ingest's environment; lists every problem at once. */
export function loadConfig(
  env: Record<string, string | undefined>,
): IngestConfig {
  return parseEnv(ConfigSchema, env, 'ingest');
}
