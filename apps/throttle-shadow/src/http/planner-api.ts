import {
  echoValue,
  isNormalizedTicker,
  MAX_STRATEGY_ID,
} from '@tickpulse/contracts';
import {
  buildOpenApi,
  OPENAPI_ROUTE,
  errorDoc,
  v1Api,
  V1_GUARD_ERRORS,
  type RouteDoc,
} from '@tickpulse/service-kit';
import {
  bucketStart,
  InvalidTimeframeError,
  type ThrottleMode,
  type ThrottlePlanner,
} from '@tickpulse/throttle';
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

const throttle = {
  type: 'string',
  enum: ['go', 'lossless'],
  description:
    'go (default): each ticker once per bucket, as the Go loop; lossless: again at every newer trade until it triggers in the bucket',
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
    throttle,
    claimTtlMs: { type: 'integer', minimum: 1, maximum: 3_600_000 },
    claimId,
  },
} as const;

const recordBody = {
  type: 'object',
  additionalProperties: false,
  required: ['strategyId', 'bucketStartMs', 'tickers'],
  properties: {
    strategyId,
    bucketStartMs: ms,
    tickers,
    claimId,
    throttle,
    seenMs: {
      type: 'array',
      maxItems: MAX_TICKERS_PER_CALL,
      items: ms,
      description:
        'lossless only, required there: the plan’s seenMs of each ticker, in the same order',
    },
    triggered: {
      ...tickers,
      description:
        'lossless only: the tickers (of `tickers`) whose evaluation matched; not due again in this bucket',
    },
  },
} as const;

const releaseBody = {
  type: 'object',
  additionalProperties: false,
  required: ['strategyId', 'bucketStartMs', 'tickers', 'claimId'],
  properties: { strategyId, bucketStartMs: ms, tickers, claimId },
} as const;

const planResponse = {
  type: 'object',
  required: ['bucketStartMs', 'tickers', 'stats'],
  properties: {
    bucketStartMs: ms,
    tickers: { type: 'array', items: { type: 'string' } },
    seenMs: {
      type: 'array',
      items: ms,
      description:
        'lossless only: the trade time each ticker’s evaluation covers',
    },
    stats: {
      type: 'object',
      required: ['universe', 'updated', 'alreadyEvaluated', 'claimedElsewhere'],
      properties: {
        universe: { type: 'integer' },
        updated: { type: 'integer' },
        alreadyEvaluated: { type: 'integer' },
        claimedElsewhere: { type: 'integer' },
        triggered: {
          type: 'integer',
          description:
            'lossless only: tickers skipped as triggered in the bucket',
        },
      },
    },
    claimId,
    claimExpiresAtMs: ms,
  },
} as const;

const ERRORS = {
  400: errorDoc('Invalid body'),
  ...V1_GUARD_ERRORS,
  429: errorDoc('Over API_RATE_LIMIT'),
};

/** Every /v1 route, as registered and as documented. */
export const PLANNER_ROUTES = {
  plan: {
    method: 'POST',
    url: '/v1/plan',
    summary:
      'The tickers of a strategy due for evaluation in a bucket (claim: handed out exclusively)',
    authenticated: true,
    body: planBody,
    bodyRequired: true,
    responses: {
      200: { description: 'The due tickers', schema: planResponse },
      ...ERRORS,
    },
  },
  record: {
    method: 'POST',
    url: '/v1/record',
    summary:
      'Marks tickers evaluated (LAST; lossless also SEEN and TRIG) and drops their claims',
    authenticated: true,
    body: recordBody,
    bodyRequired: true,
    responses: {
      200: {
        description: 'Tickers written (and, lossless, how many triggered)',
        schema: {
          type: 'object',
          required: ['recorded'],
          properties: {
            recorded: { type: 'integer' },
            triggered: { type: 'integer' },
          },
        },
      },
      ...ERRORS,
    },
  },
  release: {
    method: 'POST',
    url: '/v1/release',
    summary:
      'Drops a claim’s tickers after a failed evaluation: they are due again',
    authenticated: true,
    body: releaseBody,
    bodyRequired: true,
    responses: {
      200: {
        description: 'Claims dropped',
        schema: {
          type: 'object',
          required: ['released'],
          properties: { released: { type: 'integer' } },
        },
      },
      ...ERRORS,
    },
  },
  openapi: OPENAPI_ROUTE,
} satisfies Record<string, RouteDoc>;

/** The planner API's OpenAPI document (pinned in `openapi.json`). */
export const plannerOpenApi = () =>
  buildOpenApi(Object.values(PLANNER_ROUTES), {
    title: 'tickpulse planner API (throttle-shadow)',
    version: '1.1.0',
    description:
      'Per-ticker throttle planning for non-Node alert services: plan → evaluate → record (or release). See apps/throttle-shadow/README.md.',
  });

interface PlanBody {
  strategyId: number;
  global?: boolean;
  timeframe?: string;
  bucketStartMs?: number;
  at?: number;
  mode: 'claim' | 'preview';
  throttle?: ThrottleMode;
  claimTtlMs?: number;
  claimId?: string;
}
interface FinishBody {
  strategyId: number;
  bucketStartMs: number;
  tickers: string[];
  claimId?: string;
}
interface RecordBody extends FinishBody {
  throttle?: ThrottleMode;
  seenMs?: number[];
  triggered?: string[];
}

class BadRequest extends Error {
  statusCode = 400;
}

/**
 * The planner for non-Node alert services (the Go alert service):
 *
 * - `POST /v1/plan` `{strategyId, global?, timeframe | bucketStartMs, at?, mode, throttle?, claimTtlMs?, claimId?}`
 *   → `{bucketStartMs, tickers, seenMs?, stats, claimId?, claimExpiresAtMs?}`
 * - `POST /v1/record` `{strategyId, bucketStartMs, tickers, claimId?, throttle?, seenMs?, triggered?}` → `{recorded, triggered?}`
 * - `POST /v1/release` `{strategyId, bucketStartMs, tickers, claimId}` → `{released}`
 * - `GET /v1/openapi.json`: the document `PLANNER_ROUTES` describes.
 *
 * Every route but the document needs `Authorization: Bearer <API_TOKEN>`
 * (compared in constant time) unless the token is null. Bodies are
 * validated by JSON schema; bad input is a 400 naming the field.
 */
export function registerPlannerApi(
  app: FastifyInstance,
  deps: PlannerApiDeps,
): void {
  const now = deps.now ?? Date.now;
  const openapi = plannerOpenApi();
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
      publicRoutes: api => {
        api.get(PLANNER_ROUTES.openapi.url, async () => openapi);
      },
      routes: api => {
        api.post<{ Body: PlanBody }>(
          PLANNER_ROUTES.plan.url,
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
                throttle: b.throttle ?? 'go',
                claimTtlMs: b.claimTtlMs ?? deps.defaultClaimTtlMs,
                ...(b.claimId ? { claimId: b.claimId } : {}),
              },
            );
          },
        );

        api.post<{ Body: RecordBody }>(
          PLANNER_ROUTES.record.url,
          { schema: { body: recordBody } },
          async req => {
            const b = req.body;
            checkTickers(b.tickers);
            if ((b.throttle ?? 'go') === 'go') {
              if (b.seenMs !== undefined || b.triggered !== undefined)
                throw new BadRequest(
                  'body/seenMs and body/triggered only apply with throttle "lossless"',
                );
              const recorded = await deps.planner.recordEvaluated(
                b.strategyId,
                b.tickers,
                b.bucketStartMs,
                b.claimId,
              );
              return { recorded };
            }
            if (b.seenMs?.length !== b.tickers.length)
              throw new BadRequest(
                `body/seenMs must hold the plan's seenMs, one per ticker (${b.tickers.length})`,
              );
            const triggered = b.triggered ?? [];
            checkTickers(triggered, 'triggered');
            const planned = new Set(b.tickers);
            const stray = triggered.findIndex(t => !planned.has(t));
            if (stray >= 0)
              throw new BadRequest(
                `body/triggered/${stray} is not one of body/tickers: ${echoValue(triggered[stray])}`,
              );
            return deps.planner.recordLossless(
              b.strategyId,
              { tickers: b.tickers, seenMs: b.seenMs, triggered },
              b.bucketStartMs,
              b.claimId,
            );
          },
        );

        api.post<{ Body: Required<FinishBody> }>(
          PLANNER_ROUTES.release.url,
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

function checkTickers(list: string[], field = 'tickers'): void {
  const bad = list.findIndex(t => !isNormalizedTicker(t));
  if (bad >= 0) {
    throw new BadRequest(
      `body/${field}/${bad} is not a normalised ticker symbol (upper case, A-Z 0-9 . - /): ${echoValue(list[bad])}`,
    );
  }
}
