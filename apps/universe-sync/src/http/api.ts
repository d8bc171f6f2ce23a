import {
  enqueueReconcile,
  enqueueUniverseSync,
  parseStrategyId,
  type StrategyReader,
  type StrategyRow,
} from '@tickpulse/contracts';
import { type UniverseStore } from '@tickpulse/redis';
import {
  buildOpenApi,
  errorDoc,
  OPENAPI_ROUTE,
  v1Api,
  V1_GUARD_ERRORS,
  withDeadline,
  type Logger,
  type RouteDoc,
} from '@tickpulse/service-kit';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { UniverseMetrics } from '../metrics.js';
import {
  acceptedResponse,
  enqueueBody,
  strategyIdParams,
  strategyStateResponse,
} from './schemas.js';
import { compareStrategy } from './strategy-state.js';

/** What the /v1 API needs. */
export interface ApiDeps {
  /** The `universe-sync` queue on a fail-fast (producer) connection. */
  queue: Queue;
  reader: StrategyReader;
  store: UniverseStore;
  metrics: UniverseMetrics;
  logger: Logger;
  /** Bearer token; undefined only when ALLOW_UNAUTHENTICATED=true. */
  token: string | undefined;
  bodyLimit: number;
  /** Requests per minute per client address on /v1 (429 beyond). */
  rateLimitPerMinute: number;
  /** An enqueue or read that takes longer answers 503. */
  timeoutMs?: number;
  version?: string;
}

const ERRORS = {
  400: errorDoc('Invalid id or body'),
  ...V1_GUARD_ERRORS,
  503: errorDoc('Redis or PostgreSQL unavailable'),
};

/** Every /v1 route, as registered and as documented. */
export const ROUTES = {
  sync: {
    method: 'POST',
    url: '/v1/strategies/:id/sync',
    summary: "Enqueue a sync of one strategy's universe",
    authenticated: true,
    params: strategyIdParams,
    body: enqueueBody,
    responses: {
      202: {
        description: 'Sync enqueued (or collapsed into a pending one)',
        schema: acceptedResponse,
      },
      ...ERRORS,
    },
  },
  reconcile: {
    method: 'POST',
    url: '/v1/reconcile',
    summary: 'Enqueue a full reconcile of every strategy universe',
    authenticated: true,
    body: enqueueBody,
    responses: {
      202: {
        description: 'Reconcile enqueued (or collapsed into a pending one)',
        schema: acceptedResponse,
      },
      400: ERRORS[400],
      401: ERRORS[401],
      413: ERRORS[413],
      503: ERRORS[503],
    },
  },
  state: {
    method: 'GET',
    url: '/v1/strategies/:id',
    summary: 'What Redis holds for a strategy versus what the database says',
    authenticated: true,
    params: strategyIdParams,
    responses: {
      200: {
        description: 'Both sides and their difference',
        schema: strategyStateResponse,
      },
      400: ERRORS[400],
      401: ERRORS[401],
      503: ERRORS[503],
    },
  },
  openapi: OPENAPI_ROUTE,
} satisfies Record<string, RouteDoc>;

/**
 * Adds the /v1 API to the app's ops server (which keeps /healthz, /readyz
 * and /metrics unauthenticated). Every /v1 route except the OpenAPI
 * document requires `Authorization: Bearer <API_TOKEN>`; the token is
 * compared in constant time and never logged.
 */
export async function registerApi(
  app: FastifyInstance,
  deps: ApiDeps,
): Promise<void> {
  const { queue, reader, store, metrics, logger } = deps;
  const timeoutMs = deps.timeoutMs ?? 5000;
  const openapi = buildOpenApi(Object.values(ROUTES), {
    title: 'tickpulse universe-sync API',
    version: deps.version ?? '1.0.0',
    description:
      'Enqueue syncs of strategy universes (PostgreSQL strategies → Redis STRAT:<id>:UNIV) and inspect them.',
  });

  // Sent here rather than thrown: the ops server's error handler hides the
  // message of every 5xx, and a client needs to know what to retry.
  const unavailable = (reply: FastifyReply, what: string, err: unknown) => {
    metrics.errors.inc({ where: `api_${what}` });
    logger.warn({ err }, `API request failed: ${what} unavailable`);
    return reply
      .code(503)
      .header('retry-after', '5')
      .send({ error: `${what} unavailable, try again later`, statusCode: 503 });
  };

  // The schema has checked the digits; this checks the range (beyond what a
  // pattern states clearly) and converts.
  const strategyIdOf = (raw: string, reply: FastifyReply) => {
    const r = parseStrategyId(raw);
    if (r.ok) return r.id;
    void reply
      .code(400)
      .send({ error: `params/id ${r.reason}`, statusCode: 400 });
    return undefined;
  };

  // The strict validator coerces nothing: a path id like `1e3` or `Infinity`
  // stays text until `strategyIdOf` converts it.
  await app.register(
    v1Api({
      token: deps.token,
      rateLimitPerMinute: deps.rateLimitPerMinute,
      countRequest: (request, reply) =>
        metrics.apiRequests.inc({
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status: String(reply.statusCode),
        }),
      publicRoutes: api => {
        api.get(ROUTES.openapi.url, async () => openapi);
      },
      routes: secured => {
        secured.post<{ Params: { id: string }; Body?: { reason?: string } }>(
          ROUTES.sync.url,
          {
            bodyLimit: deps.bodyLimit,
            schema: { params: ROUTES.sync.params, body: ROUTES.sync.body },
          },
          async (request, reply) => {
            const id = strategyIdOf(request.params.id, reply);
            if (id === undefined) return reply;
            let jobId: string | undefined;
            try {
              jobId = await withDeadline(
                enqueueUniverseSync(queue, id, request.body?.reason ?? 'api'),
                timeoutMs,
                'enqueue',
              );
            } catch (err) {
              return unavailable(reply, 'queue', err);
            }
            return reply.code(202).send({ jobId: String(jobId) });
          },
        );

        secured.post<{ Body?: { reason?: string } }>(
          ROUTES.reconcile.url,
          {
            bodyLimit: deps.bodyLimit,
            schema: { body: ROUTES.reconcile.body },
          },
          async (request, reply) => {
            let jobId: string | undefined;
            try {
              jobId = await withDeadline(
                enqueueReconcile(queue, request.body?.reason ?? 'api'),
                timeoutMs,
                'enqueue',
              );
            } catch (err) {
              return unavailable(reply, 'queue', err);
            }
            return reply.code(202).send({ jobId: String(jobId) });
          },
        );

        secured.get<{ Params: { id: string } }>(
          ROUTES.state.url,
          { schema: { params: ROUTES.state.params } },
          async (request, reply) => {
            const id = strategyIdOf(request.params.id, reply);
            if (id === undefined) return reply;
            let row: StrategyRow | undefined;
            try {
              row = await withDeadline(reader.fetch(id), timeoutMs, 'read');
            } catch (err) {
              return unavailable(reply, 'database', err);
            }
            try {
              return await compareStrategy(id, row, store, {
                call: pending => withDeadline(pending, timeoutMs, 'read'),
              });
            } catch (err) {
              return unavailable(reply, 'redis', err);
            }
          },
        );
      },
    }),
  );
}
