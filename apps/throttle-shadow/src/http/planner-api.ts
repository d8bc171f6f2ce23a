import {
  bucketStart,
  echoValue,
  InvalidTimeframeError,
  isNormalizedTicker,
  MAX_STRATEGY_ID,
  v1Api,
  type ThrottlePlanner,
} from '@tickpulse/shared';
import type { FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';

/** Most tickers one record/release call may carry (the whole market is ~12 000). */
export const MAX_TICKERS_PER_CALL = 50_000;

export interface PlannerApiDeps {
  planner: ThrottlePlanner;
  registry: Registry;
  /** Null only when ALLOW_UNAUTHENTICATED=true. */
  apiToken: string | null;
  /** Claim lifetime when the request names none. */
  defaultClaimTtlMs: number;
  /** Requests per minute per client address (429 beyond). */
  rateLimitPerMinute: number;
  now?: () => number;
}

// A JSON number, strictly (no coercion from "7"); the range of
// strategies.strategyid. JSON gives `1.0` and `1e3` no spelling of their own:
// they are the numbers 1 and 1000.
const strategyId = {
  type: 'integer',
  minimum: 1,
  maximum: MAX_STRATEGY_ID,
} as const;
const ms = { type: 'integer', minimum: -8.64e15, maximum: 8.64e15 } as const;
const claimId = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,128}$' } as const;
const tickers = {
  type: 'array',
  maxItems: MAX_TICKERS_PER_CALL,
  items: { type: 'string', minLength: 1, maxLength: 16 },
} as const;

const planBody = {
  type: 'object',
  additionalProperties: false,
  required: ['strategyId', 'mode'],
  properties: {
    strategyId,
    global: { type: 'boolean' },
    timeframe: { type: 'string', minLength: 1, maxLength: 32 },
    bucketStartMs: ms,
    at: ms,
    mode: { type: 'string', enum: ['claim', 'preview'] },
    claimTtlMs: { type: 'integer', minimum: 1, maximum: 3_600_000 },
    claimId,
  },
} as const;

const recordBody = {
  type: 'object',
  additionalProperties: false,
  required: ['strategyId', 'bucketStartMs', 'tickers'],
  properties: { strategyId, bucketStartMs: ms, tickers, claimId },
} as const;

const releaseBody = {
  type: 'object',
  additionalProperties: false,
  required: ['strategyId', 'bucketStartMs', 'tickers', 'claimId'],
  properties: { strategyId, bucketStartMs: ms, tickers, claimId },
} as const;

interface PlanBody {
  strategyId: number;
  global?: boolean;
  timeframe?: string;
  bucketStartMs?: number;
  at?: number;
  mode: 'claim' | 'preview';
  claimTtlMs?: number;
  claimId?: string;
}
interface FinishBody {
  strategyId: number;
  bucketStartMs: number;
  tickers: string[];
  claimId?: string;
}

class BadRequest extends Error {
  statusCode = 400;
}

/**
 * The planner for non-Node alert services (the Go alert service):
 *
 * - `POST /v1/plan` `{strategyId, global?, timeframe | bucketStartMs, at?, mode, claimTtlMs?, claimId?}`
 *   → `{bucketStartMs, tickers, stats, claimId?, claimExpiresAtMs?}`
 * - `POST /v1/record` `{strategyId, bucketStartMs, tickers, claimId?}` → `{recorded}`
 * - `POST /v1/release` `{strategyId, bucketStartMs, tickers, claimId}` → `{released}`
 *
 * Every route needs `Authorization: Bearer <API_TOKEN>` (compared in constant
 * time) unless the token is null. Bodies are validated by JSON schema; bad
 * input is a 400 naming the field.
 */
export function registerPlannerApi(
  app: FastifyInstance,
  deps: PlannerApiDeps,
): void {
  const now = deps.now ?? Date.now;
  const requests = new Counter({
    name: 'tickpulse_throttle_shadow_api_requests_total',
    help: 'Planner API requests, by route and status code',
    labelNames: ['route', 'status'],
    registers: [deps.registry],
  });
  app.register(
    v1Api({
      token: deps.apiToken,
      rateLimitPerMinute: deps.rateLimitPerMinute,
      countRequest: (req, reply) => {
        const route = req.routeOptions.url?.replace('/v1/', '') ?? 'unknown';
        requests.inc({ route, status: String(reply.statusCode) });
      },
      routes: api => {
        api.post<{ Body: PlanBody }>(
          '/v1/plan',
          { schema: { body: planBody } },
          async req => {
            const b = req.body;
            const hasTf = b.timeframe !== undefined;
            const hasBucket = b.bucketStartMs !== undefined;
            if (hasTf === hasBucket) {
              throw new BadRequest(
                'body must have exactly one of timeframe or bucketStartMs',
              );
            }
            if (hasBucket && b.at !== undefined) {
              throw new BadRequest('body/at only applies with timeframe');
            }
            let bucket: number;
            if (hasBucket) {
              bucket = b.bucketStartMs!;
            } else {
              try {
                bucket = bucketStart(b.at ?? now(), b.timeframe!);
              } catch (err) {
                if (
                  err instanceof InvalidTimeframeError ||
                  err instanceof RangeError
                ) {
                  throw new BadRequest(
                    `body/${err instanceof RangeError ? 'at' : 'timeframe'}: ${err.message}`,
                  );
                }
                throw err;
              }
            }
            return deps.planner.plan(
              { id: b.strategyId, global: b.global ?? false },
              bucket,
              {
                mode: b.mode,
                claimTtlMs: b.claimTtlMs ?? deps.defaultClaimTtlMs,
                ...(b.claimId ? { claimId: b.claimId } : {}),
              },
            );
          },
        );

        api.post<{ Body: FinishBody }>(
          '/v1/record',
          { schema: { body: recordBody } },
          async req => {
            const b = req.body;
            checkTickers(b.tickers);
            const recorded = await deps.planner.recordEvaluated(
              b.strategyId,
              b.tickers,
              b.bucketStartMs,
              b.claimId,
            );
            return { recorded };
          },
        );

        api.post<{ Body: Required<FinishBody> }>(
          '/v1/release',
          { schema: { body: releaseBody } },
          async req => {
            const b = req.body;
            checkTickers(b.tickers);
            const released = await deps.planner.release(
              b.strategyId,
              b.tickers,
              b.bucketStartMs,
              b.claimId,
            );
            return { released };
          },
        );
      },
    }),
  );
}

function checkTickers(list: string[]): void {
  const bad = list.findIndex(t => !isNormalizedTicker(t));
  if (bad >= 0) {
    throw new BadRequest(
      `body/tickers/${bad} is not a normalised ticker symbol (upper case, A-Z 0-9 . - /): ${echoValue(list[bad])}`,
    );
  }
}
