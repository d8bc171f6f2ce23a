import { duration } from '@tickpulse/service-kit';
import type { FastifyInstance } from 'fastify';
import type { ThrottleReport } from '../throttle-models.js';

/** Reads `since` as the config reads durations (`15m`, `1h`, `24h`). */
const sinceSchema = duration('1h');

/**
 * `GET /throttle-report[?since=1h]`: the shadow's report, the JSON
 * `tickpulse throttle-report --json` prints. On the ops port beside
 * `/metrics`, without a token, as the same figures are there by class;
 * 503 while the shadow is off.
 */
export function registerThrottleReport(
  app: FastifyInstance,
  report: ((sinceMs?: number) => ThrottleReport) | null,
): void {
  app.get<{ Querystring: { since?: string } }>(
    '/throttle-report',
    async (req, reply) => {
      if (!report)
        return reply.code(503).send({
          error:
            'the shadow is off: start throttle-shadow with THROTTLE_SHADOW_ENABLED=true',
          statusCode: 503,
        });
      const raw = req.query.since;
      if (raw === undefined) return report();
      const since = sinceSchema.safeParse(raw);
      if (!since.success)
        return reply.code(400).send({
          error: `query/since: ${since.error.issues[0]?.message ?? 'invalid'}`,
          statusCode: 400,
        });
      return report(since.data);
    },
  );
}
