import { Ajv } from 'ajv';
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import { limitRequestRate, requireBearerToken } from './api-guard.js';

/**
 * fastify's default Ajv coerces types (`"7"` passes as 7) and drops unknown
 * properties; a wire contract with another service rejects both, so `/v1`
 * bodies, params and queries are validated as sent.
 */
const strictAjv = new Ajv({
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  allErrors: false,
});

/** The parts of a tickpulse `/v1` API that differ between apps. */
export interface V1ApiOptions {
  /** Bearer token every authenticated route needs; null/undefined only with ALLOW_UNAUTHENTICATED=true. */
  token: string | null | undefined;
  /** Requests per minute one client may send to any /v1 route (429 beyond). */
  rateLimitPerMinute: number;
  /** The app's request counter, called once per answered /v1 request. */
  countRequest: (request: FastifyRequest, reply: FastifyReply) => void;
  /** Routes without the bearer guard (an OpenAPI document); still rate-limited and strict. */
  publicRoutes?: (scope: FastifyInstance) => void | Promise<void>;
  /** The authenticated routes. */
  routes: (scope: FastifyInstance) => void | Promise<void>;
}

/**
 * One `/v1` API, the same in every app: the rate limit first (so a flood of
 * wrong tokens is limited too), strict JSON-schema validation, the request
 * counter, then the bearer guard around `routes`. Register it on the ops
 * server: `app.register(v1Api({ … }))`. An API served without a token says
 * so once, as a warning, when it is registered.
 */
export function v1Api(opts: V1ApiOptions): FastifyPluginAsync {
  return async api => {
    await limitRequestRate(api, opts.rateLimitPerMinute);
    api.setValidatorCompiler(({ schema }) => strictAjv.compile(schema));
    api.addHook('onResponse', async (request, reply) =>
      opts.countRequest(request, reply),
    );
    if (!opts.token)
      api.log.warn(
        'the /v1 API accepts requests without a token (ALLOW_UNAUTHENTICATED=true; local use only)',
      );
    await opts.publicRoutes?.(api);
    await api.register(async secured => {
      secured.addHook('onRequest', requireBearerToken(opts.token));
      await opts.routes(secured);
    });
  };
}
