import { createHash, timingSafeEqual } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const digest = (s: string): Buffer =>
  createHash('sha256').update(s, 'utf8').digest();

/**
 * An `onRequest` hook that requires `Authorization: Bearer <token>`. Both
 * sides are hashed first, so the comparison takes the same time whatever the
 * presented token's length or content; the token is never logged. A null
 * token (explicitly unauthenticated local use) lets every request through.
 */
export function requireBearerToken(token: string | null | undefined) {
  const expected = token ? digest(token) : null;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (expected === null) return;
    const m = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '');
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="tickpulse"')
        .send({ error: 'missing or invalid bearer token', statusCode: 401 });
    }
  };
}

/**
 * Limits each client to `perMinute` requests per minute in this plugin
 * scope; over the limit a request gets 429 with `retry-after`. Counters live
 * in the process: each replica limits on its own.
 *
 * The limiter is a scope-level `onRequest` hook, so it runs before every hook
 * added after this call — in particular before `requireBearerToken`: a flood
 * of wrong tokens is limited like any other traffic instead of being answered
 * 401 for free. (The plugin's default, a route-level hook, would run after
 * every scope-level one.)
 *
 * The client is `request.ip`: the socket's peer, or — when the server was
 * built with fastify's `trustProxy` (`TRUST_PROXY`) — the address the trusted
 * proxies report in `X-Forwarded-For`, so that clients behind one ingress do
 * not share one budget.
 */
export async function limitRequestRate(
  scope: FastifyInstance,
  perMinute: number,
): Promise<void> {
  await scope.register(rateLimit, {
    global: false,
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: request => request.ip,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `rate limit of ${context.max} requests per minute exceeded, retry in ${Math.ceil(context.ttl / 1000)} s`,
    }),
  });
  scope.addHook('onRequest', scope.rateLimit());
}
