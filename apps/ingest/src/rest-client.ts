import { sleep } from '@tickpulse/shared';
import { backoffDelay } from './backoff.js';
import { parseRestJson } from './rest-json.js';

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
  /** Called once per attempt with its outcome: an HTTP status, `timeout`, `network` or `malformed`. */
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

const RETRYABLE = (status: number) => status === 429 || status >= 500;

/**
 * Creates the client. The key travels only in the `Authorization: Bearer`
 * header, never in a URL, so no URL this client builds or logs contains it.
 * A `next_url` is requested on the configured host whatever host it names
 * (its path and query are kept, an `apiKey` in it is dropped): the key is
 * never sent anywhere but `baseUrl`. 429, 5xx, timeouts, network errors and
 * unparseable bodies are retried with jittered backoff; 401/403 throw
 * `RestAuthError` at once; other statuses throw `RestRequestError`.
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
        const timeout = AbortSignal.timeout(opts.timeoutMs);
        let res: Response;
        let text: string;
        try {
          res = await fetch(url, {
            headers,
            signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          });
          text = await res.text();
        } catch {
          signal?.throwIfAborted();
          last = timeout.aborted ? 'timeout' : 'network';
          opts.onResponse(endpoint, last);
          continue;
        }
        last = String(res.status);
        if (res.status === 401 || res.status === 403) {
          opts.onResponse(endpoint, last);
          throw new RestAuthError(res.status);
        }
        if (res.status !== 200) {
          opts.onResponse(endpoint, last);
          if (RETRYABLE(res.status)) continue;
          throw new RestRequestError(endpoint, last);
        }
        let body: unknown;
        try {
          body = parseRestJson(text);
        } catch {
          body = undefined;
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          last = 'malformed';
          opts.onResponse(endpoint, last);
          continue;
        }
        opts.onResponse(endpoint, last);
        return body as Record<string, unknown>;
      }
      throw new RestRequestError(endpoint, last);
    },
  };
}
