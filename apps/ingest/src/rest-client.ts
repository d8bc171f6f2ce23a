import { sleep } from '@tickpulse/service-kit';
import { backoffDelay } from './backoff.js';
import { judgeAnswer, type RestVerdict } from './rest-answer.js';

/** The two REST endpoints backfill uses (a bounded metric label). */
export type RestEndpoint = 'snapshot' | 'trades';

/** Full-market snapshot path (every ticker's last print in one response). */
export const SNAPSHOT_PATH = '/v2/snapshot/locale/us/markets/stocks/tickers';

/** The key was refused (401) or is not entitled to the data (403): retrying cannot help. */
export class RestAuthError extends Error {
  constructor(readonly status: number) {
    super(`Polygon REST refused the key (HTTP ${status})`);
    this.name = 'RestAuthError';
  }
}

/** The per-gap request budget ran out. */
export class RestBudgetError extends Error {
  constructor() {
    super('REST request budget of this gap exhausted');
    this.name = 'RestBudgetError';
  }
}

/** A request that kept failing after its retries, or a non-retryable answer. */
export class RestRequestError extends Error {
  constructor(
    readonly endpoint: RestEndpoint,
    readonly lastStatus: string,
  ) {
    super(`Polygon REST ${endpoint} failed (last: ${lastStatus})`);
    this.name = 'RestRequestError';
  }
}

/** Requests one gap may still send; every attempt (retries included) takes one. */
export interface RequestBudget {
  remaining: number;
}

/** Retry and timeout settings of the client. */
export interface RestClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** Attempts per request (1 = no retry). */
  attempts: number;
  retryMinMs: number;
  retryMaxMs: number;
  /**
   * Largest response body read (bytes). A body past it (or nested deeper
   * than 64, or of more than 1.5 M values) is refused without `JSON.parse`
   * and not retried: the same request would bring the same body.
   */
  maxBodyBytes: number;
  /**
   * Called once per attempt with its outcome: an HTTP status, `timeout`,
   * `network`, `malformed`, `too_large`, `too_deep` or `too_many_values`.
   */
  onResponse: (endpoint: RestEndpoint, status: string) => void;
}

/** A minimal Polygon REST client for backfill. */
export interface RestClient {
  /** GETs `pathAndQuery` (or an absolute `next_url`) and returns the parsed body. */
  get(
    endpoint: RestEndpoint,
    pathAndQuery: string,
    budget: RequestBudget,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>>;
}

/**
 * The body's bytes, or null as soon as it passes `maxBytes` (a declared
 * length past it is refused before reading a byte; the rest is cancelled).
 * Bytes, not text: the shape check reads them several times faster.
 */
async function readBounded(
  res: Response,
  maxBytes: number,
): Promise<Buffer | null> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > maxBytes) {
    await res.body?.cancel();
    return null;
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Creates the client. The key travels only in the `Authorization: Bearer`
 * header, never in a URL, so no URL this client builds or logs contains it.
 * A `next_url` is requested on the configured host whatever host it names
 * (its path and query are kept, an `apiKey` in it is dropped): the key is
 * never sent anywhere but `baseUrl`, and a redirect is not followed (it
 * fails the request as its 3xx status). 429, 5xx, timeouts, network errors and
 * unparseable bodies are retried with jittered backoff; 401/403 throw
 * `RestAuthError` at once; other statuses, and a body past `maxBodyBytes`
 * or the depth and value bounds, throw `RestRequestError` (no `JSON.parse`,
 * no retry).
 */
export function createRestClient(opts: RestClientOptions): RestClient {
  const base = new URL(opts.baseUrl);
  const headers = {
    authorization: `Bearer ${opts.apiKey}`,
    accept: 'application/json',
  };

  const resolve = (pathAndQuery: string): URL => {
    const given = new URL(pathAndQuery, base);
    const url = new URL(given.pathname + given.search, base);
    url.searchParams.delete('apiKey');
    return url;
  };

  return {
    async get(endpoint, pathAndQuery, budget, signal) {
      const url = resolve(pathAndQuery);
      let last = 'none';
      for (let attempt = 0; attempt < opts.attempts; attempt++) {
        if (attempt > 0)
          await sleep(
            backoffDelay(attempt - 1, opts.retryMinMs, opts.retryMaxMs),
          );
        signal?.throwIfAborted();
        if (budget.remaining <= 0) throw new RestBudgetError();
        budget.remaining--;
        const verdict = await attemptOnce(url, headers, opts, signal);
        last = verdict.label;
        opts.onResponse(endpoint, last);
        switch (verdict.kind) {
          case 'ok':
            return verdict.body;
          case 'auth':
            throw new RestAuthError(verdict.status);
          case 'refuse':
            throw new RestRequestError(endpoint, last);
          case 'retry':
            continue;
        }
      }
      throw new RestRequestError(endpoint, last);
    },
  };
}

/**
 * One HTTP attempt and its verdict; no answer in time, or none at all, is
 * worth a retry (`timeout`, `network`). Throws only when `signal` aborted.
 */
async function attemptOnce(
  url: URL,
  headers: Record<string, string>,
  opts: RestClientOptions,
  signal: AbortSignal | undefined,
): Promise<RestVerdict> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  let res: Response;
  let body: Buffer | null;
  try {
    // A redirect is an answer, never followed: following one could
    // take healed data from another host, or loop.
    res = await fetch(url, {
      headers,
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    body = await readBounded(res, opts.maxBodyBytes);
  } catch {
    signal?.throwIfAborted();
    return { kind: 'retry', label: timeout.aborted ? 'timeout' : 'network' };
  }
  return judgeAnswer(res.status, body, opts.maxBodyBytes);
}
