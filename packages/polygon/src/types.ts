/**
 * Wire types of the Polygon stocks WebSocket (reference/polygon-websocket.md
 * §2, §7). Defined here because the official JS client's are wrong
 * (`x: string`, `i: number`, no `q`/`trfi`/`trft`/`ds`).
 */

/** A trade event, `ev: "T"`. */
export interface TradeEvent {
  ev: 'T';
  /** Ticker. */
  sym: string;
  /** Exchange id (4 = FINRA ADF / off-exchange). */
  x: number;
  /** Trade id: unique per ticker + exchange (+ TRF) only. */
  i: string;
  /** Tape: 1 = A, 2 = B, 3 = C. */
  z: number;
  /** Price. */
  p: number;
  /** Size in whole shares. */
  s: number;
  /** Size including fractional shares. */
  ds?: string;
  /** Condition ids; absent for a regular sale. */
  c?: number[];
  /** SIP timestamp, Unix ms. */
  t: number;
  /** Sequence number, increasing per ticker. */
  q: number;
  /** Trade Reporting Facility id (off-exchange prints). */
  trfi?: number;
  /** TRF timestamp, Unix ms. */
  trft?: number;
}

/** A status event, `ev: "status"`. */
export interface StatusEvent {
  ev: 'status';
  status: string;
  message: string;
}

/** Statuses with a defined treatment (§3); anything else is logged and counted. */
export const KNOWN_STATUSES = [
  'connected',
  'auth_success',
  'auth_failed',
  'auth_timeout',
  'success',
  'error',
  'max_connections',
] as const;
export type KnownStatus = (typeof KNOWN_STATUSES)[number];

/** A bounded label for a status value: itself when known, else `other`. */
export function statusLabel(status: string): KnownStatus | 'other' {
  return (KNOWN_STATUSES as readonly string[]).includes(status)
    ? (status as KnownStatus)
    : 'other';
}

/** A client → server message. */
export interface ClientMessage {
  action: 'auth' | 'subscribe' | 'unsubscribe';
  params: string;
}

/**
 * The stocks clusters on the official hosts. Polygon.io became Massive in
 * late 2025; the `*.polygon.io` hosts (`socket.polygon.io`,
 * `delayed.polygon.io`, `api.polygon.io`) still answer the same protocol.
 */
export const POLYGON_STOCKS_URL = 'wss://socket.massive.com/stocks';
export const POLYGON_STOCKS_DELAYED_URL = 'wss://delayed.massive.com/stocks';
/** The REST API (snapshot, trades) on the official host. */
export const POLYGON_REST_URL = 'https://api.massive.com';
