import {
  DEFAULT_FRAME_BOUNDS,
  parseConditionPolicy,
  POLYGON_REST_URL,
  POLYGON_STOCKS_URL,
} from '@tickpulse/polygon';
import {
  MAX_TICK_BATCH_ENTRIES,
  TICK_FUTURE_TOLERANCE_MS,
} from '@tickpulse/contracts';
import {
  baseEnvSchema,
  duration,
  parseEnv,
  milliseconds,
  positiveInt,
} from '@tickpulse/service-kit';
import { z } from 'zod';
import { parseDataWindow } from './data-window.js';

/** The local polygon-sim, used when no API key is configured. */
export const SIMULATOR_WS_URL = 'ws://127.0.0.1:9100/stocks';
/** The key sent to the simulator when none is configured (it accepts any key by default). */
export const SIMULATOR_API_KEY = 'tickpulse-sim';

const wsUrl = z
  .string()
  .refine(s => /^wss?:\/\//.test(s) && URL.canParse(s), {
    message: 'must be a ws:// or wss:// URL',
  })
  .meta({ accepts: '`ws://` or `wss://` URL' });

const httpUrl = z
  .string()
  .refine(s => /^https?:\/\//.test(s) && URL.canParse(s), {
    message: 'must be an http:// or https:// URL',
  })
  .meta({ accepts: '`http://` or `https://` URL' });

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
    POLYGON_API_KEY: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe('Polygon/Massive key; unset = use the local simulator'),
    POLYGON_WS_URL: wsUrl
      .optional()
      .meta({
        defaultText: `\`${POLYGON_STOCKS_URL}\` with a key, \`${SIMULATOR_WS_URL}\` without`,
      })
      .describe(
        'stocks WebSocket (the legacy `wss://socket.polygon.io/stocks` works too)',
      ),
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
      )
      .describe('comma-separated `T.<ticker>` params'),
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
      })
      .describe('`backend`, `sip-last` or a list of excluded ids'),
    /**
     * Largest WebSocket frame read (bytes). Polygon's frames stay far below
     * it (the official Go client reads at most 1 MB); a larger one is
     * counted and dropped unread, and the stream goes on.
     */
    MAX_FRAME_BYTES: positiveInt(DEFAULT_FRAME_BOUNDS.maxBytes).describe(
      'largest WebSocket frame read; a larger one is counted and dropped unread',
    ),
    // ---- Coalescing and publishing ----
    FLUSH_INTERVAL_MS: milliseconds(50).describe(
      'publish period (keeps end-to-end freshness well under 250 ms)',
    ),
    FLUSH_MAX_TICKERS: positiveInt(5000).describe(
      'publish early at this many pending tickers',
    ),
    /**
     * Most distinct tickers ingest accepts (from the stream and from REST
     * backfill) for the life of the process. Well above the ~12 000 listed US
     * stocks plus the OTC symbols `T.*` carries; past it trades of new
     * symbols are counted and dropped, known tickers keep updating.
     */
    MAX_TICKERS: positiveInt(50_000).describe(
      'most distinct tickers accepted (stream and REST backfill) for the life of the process; new symbols past it are dropped and counted, known ones keep updating',
    ),
    /**
     * Most tickers in one `ticks` job: a larger flush (after holding back)
     * becomes several jobs. At most ≈ 27 bytes a ticker, so 10 000 keep a
     * job under ≈ 0.3 MB and the 10 failed ones kept under ≈ 3 MB.
     */
    TICKS_JOB_MAX_TICKERS: positiveInt(10_000)
      .refine(
        n => n <= MAX_TICK_BATCH_ENTRIES,
        `must be at most ${MAX_TICK_BATCH_ENTRIES} (the most tick-writer accepts in one job)`,
      )
      .describe(
        'most tickers in one `ticks` job (≤ 100 000); a larger flush becomes several jobs',
      ),
    PUBLISH_TIMEOUT_MS: milliseconds(5000).describe(
      'a publish slower than this counts as failed and is merged back',
    ),
    /**
     * Most `ticks` jobs waiting, active or awaiting a retry; beyond it ingest
     * holds back and keeps merging, so Redis never holds more batches than this.
     */
    TICKS_MAX_PENDING_JOBS: positiveInt(4).describe(
      'most `ticks` jobs waiting, active or awaiting a retry; at the cap ingest holds back and keeps merging (see [Footprint](operations.md#footprint))',
    ),
    // ---- Connection health ----
    PING_INTERVAL_MS: milliseconds(25_000).describe('WebSocket ping period'),
    READ_TIMEOUT_MS: milliseconds(30_000).describe(
      'silent connection deadline (must exceed the ping period)',
    ),
    AUTH_TIMEOUT_MS: milliseconds(10_000).describe(
      'socket open → `auth_success` deadline',
    ),
    RECONNECT_MIN_MS: milliseconds(1000).describe('first reconnect delay'),
    RECONNECT_MAX_MS: milliseconds(30_000).describe('reconnect delay cap'),
    HEALTHY_AFTER_MS: milliseconds(10_000).describe(
      'authenticated this long ⇒ backoff resets',
    ),
    MAX_CONNECTIONS_COOLDOWN_MS: milliseconds(60_000).describe(
      'wait after `max_connections`',
    ),
    /**
     * Subscribed but no trade for this long inside DATA_WINDOW: the feed is
     * silent (pings still answered); reconnect. 0 disables.
     */
    DATA_IDLE_TIMEOUT_MS: milliseconds(60_000, { allowZero: true }).describe(
      'subscribed but no trade this long inside `DATA_WINDOW`: reconnect, `/readyz` not ok until trades return (doubles per silent reconnect in a row, up to 16×); `0` never',
    ),
    DATA_WINDOW: z
      .string()
      .default('09:30-16:00')
      .transform((s, ctx) => {
        const r = parseDataWindow(s);
        if (r.ok) return r.window;
        ctx.addIssue({ code: 'custom', message: r.reason });
        return z.NEVER;
      })
      .describe(
        'when trades are expected: `HH:MM-HH:MM` New York time, Monday to Friday, or `always`',
      ),
    // ---- Gap healing (REST backfill) ----
    POLYGON_REST_URL: httpUrl
      .optional()
      .describe(
        'REST base for gap healing (legacy `https://api.polygon.io` works too)',
      ),
    ALLOW_PLAINTEXT_FEED: z
      .stringbool()
      .default(false)
      .describe(
        'allow `ws://` / `http://` feed URLs to a host other than this one (the key would travel in clear; the in-cluster simulator needs it). A feed URL with `user:password@` is always refused: the key belongs in `POLYGON_API_KEY`',
      ),
    BACKFILL_ENABLED: z
      .stringbool()
      .optional()
      .describe(
        'heal gaps from REST (see [gap healing](../apps/ingest/README.md#gap-healing))',
      ),
    BACKFILL_CONCURRENCY: positiveInt(4).describe(
      '`/v3/trades` lookups in flight at once',
    ),
    /**
     * HTTP attempts one gap may send (snapshot, pages, retries). A gap near
     * BACKFILL_MAX_GAP_MS (and every rebuild after a Redis data loss) needs
     * about one lookup per ticker whose last print is ineligible: ~5 000 of
     * a 10 000-ticker market (see the README's gap-healing section).
     */
    BACKFILL_REQUEST_BUDGET: positiveInt(15_000).describe(
      'HTTP attempts one gap may send (snapshot, pages, retries); beyond it the gap is `partial`',
    ),
    BACKFILL_MAX_GAP_MS: milliseconds(15 * 60_000).describe(
      'a longer gap is healed only over its last 15 min (logged `truncated`)',
    ),
    BACKFILL_MARGIN_MS: milliseconds(2000).describe(
      'healing starts this long before the watermark (late prints, clock skew)',
    ),
    /**
     * Largest REST response body read (bytes). A full-market snapshot's
     * documented fields come to an estimated ≈ 600 B a ticker, ≈ 7 MB for
     * 12 000 tickers; a larger body is refused without parsing it and that
     * gap is not healed from it.
     */
    BACKFILL_MAX_BODY_BYTES: positiveInt(32 * 1024 * 1024).describe(
      'largest REST response body read; a larger one (or one nested past 64, or of more than 1.5 M values) fails its request unparsed, without retry',
    ),
    BACKFILL_REQUEST_TIMEOUT_MS: milliseconds(10_000).describe(
      'deadline of one REST request (then retried)',
    ),
    BACKFILL_RETRY_MIN_MS: milliseconds(500).describe(
      'first retry delay after 429/5xx/timeout/malformed body (doubling, ±50 % jitter, 4 attempts)',
    ),
    // ---- Leader election ----
    LEASE_TTL_MS: milliseconds(5000).describe('lease TTL (≥ 1000)'),
    LEASE_POLL_MS: milliseconds(1000).describe('standby takeover attempts'),
    /**
     * A leader whose stream has not been live (subscribed) for this long
     * releases the lease so that a standby can try; 0 never steps down.
     * Default: 60 s, or 2 × LEASE_TTL_MS when that is longer (a deployment
     * with a long lease keeps a valid configuration).
     */
    LEADER_STEP_DOWN_AFTER_MS: duration(undefined, { allowZero: true })
      .meta({ defaultText: '`60000` (or 2 × `LEASE_TTL_MS` if longer)' })
      .describe(
        'a leader whose stream has not been live this long releases the lease and sits out 3 × `LEASE_POLL_MS`; `0` never; must be > `LEASE_TTL_MS`',
      ),
    // ---- Trade time bounds ----
    TRADE_FUTURE_TOLERANCE_MS: milliseconds(TICK_FUTURE_TOLERANCE_MS).describe(
      'max trade time ahead of the local clock',
    ),
    TRADE_MAX_AGE_MS: milliseconds(24 * 3600_000).describe('max trade age'),
    // ---- Operations ----
    SUMMARY_INTERVAL: duration('5m').describe('summary log period'),
    SHUTDOWN_FLUSH_MS: milliseconds(10_000).describe(
      'final flush budget on SIGTERM',
    ),
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

/** Deprecated variable names, still read (with a warning) under their new names. */
export const RENAMED_ENV = { SUMMARY_INTERVAL_MS: 'SUMMARY_INTERVAL' };

export type IngestConfig = z.infer<typeof ConfigSchema>;

/** Validates ingest's environment; lists every problem at once. */
export function loadConfig(
  env: Record<string, string | undefined>,
): IngestConfig {
  return parseEnv(ConfigSchema, env, 'ingest', RENAMED_ENV);
}
