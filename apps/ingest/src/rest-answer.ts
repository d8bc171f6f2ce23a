import { jsonBoundProblem, parseRestJson } from '@tickpulse/polygon';

/**
 * Polygon's bodies nest 4 deep (snapshot → tickers → ticker → lastTrade →
 * c). A snapshot of 12 000 tickers holds an estimated ≈ 0.55 M values
 * (≈ 45 documented fields a ticker); 1.5 M leave room and bound what
 * `JSON.parse` allocates to ≈ 0.3 s of work, however dense the body
 * (1.5 M empty arrays: 0.17–0.3 s).
 */
const REST_MAX_DEPTH = 64;
const REST_MAX_VALUES = 1_500_000;

/**
 * What one REST attempt's answer means. `label` is what the attempt
 * counts as (`tickpulse_ingest_rest_requests_total{status}`) and, for
 * the last attempt, what the error names.
 */
export type RestVerdict =
  /** A JSON object: the request is done. */
  | { kind: 'ok'; label: string; body: Record<string, unknown> }
  /** Worth another attempt (429, 5xx, an unparseable body, no answer). */
  | { kind: 'retry'; label: string }
  /** 401/403: the key cannot do this; retrying cannot help. */
  | { kind: 'auth'; label: string; status: number }
  /** Any other status, or a body past its bounds: fail without parsing or retrying. */
  | { kind: 'refuse'; label: string };

const retryable = (status: number) => status === 429 || status >= 500;

/**
 * Judges an answer. Only a 200's body is read; any other status is
 * handled by its code.
 *
 * @param body the 200's bytes, or null when they passed `maxBodyBytes`.
 */
export function judgeAnswer(
  status: number,
  body: Buffer | null,
  maxBodyBytes: number,
): RestVerdict {
  if (status === 200) {
    const problem =
      body === null
        ? 'too_large'
        : jsonBoundProblem(body, {
            maxBytes: maxBodyBytes,
            maxDepth: REST_MAX_DEPTH,
            maxValues: REST_MAX_VALUES,
          });
    if (problem) return { kind: 'refuse', label: problem };
  }
  const label = String(status);
  if (status === 401 || status === 403) return { kind: 'auth', label, status };
  if (status !== 200)
    return { kind: retryable(status) ? 'retry' : 'refuse', label };
  let parsed: unknown;
  try {
    parsed = parseRestJson(body!.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { kind: 'retry', label: 'malformed' };
  return { kind: 'ok', label, body: parsed as Record<string, unknown> };
}
