import type { FastifyInstance } from 'fastify';
import { MALFORMED_KINDS, type MalformedKind, type PolygonSim } from './sim.js';

type Body = Record<string, unknown> | undefined;

function num(v: unknown, name: string, min = 0): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min) {
    throw Object.assign(new Error(`${name} must be a number ≥ ${min}`), {
      statusCode: 400,
    });
  }
  return n;
}

/**
 * Adds the simulator's fault-injection API to an HTTP app, so a test or an
 * operator running the simulator as a process can drive it:
 *
 * - `GET  /control/stats`
 * - `POST /control/rate` `{ "rate": 5000 }`
 * - `POST /control/drop` — reset every connection
 * - `POST /control/max-connections` — `max_connections` + close 1008
 * - `POST /control/malformed` `{ "kind": "not_json" | … }`
 * - `POST /control/stall` `{ "on": true }` — stop sending and answering pings
 * - `POST /control/frames` `{ "frames": [ "<raw>" | [ events… ] ] }`
 * - `POST /control/status` `{ "status": "…", "message": "…" }`
 * - `POST /control/future` `{ "count": 10, "aheadMs": 3600000 }`
 */
export function registerSimControl(
  app: FastifyInstance,
  sim: PolygonSim,
): void {
  app.get('/control/stats', async () => sim.stats());
  app.post('/control/rate', async req => {
    sim.setRate(num((req.body as Body)?.rate, 'rate'));
    return sim.stats();
  });
  app.post('/control/drop', async () => ({ dropped: sim.dropConnections() }));
  app.post('/control/max-connections', async () => ({
    closed: sim.sendMaxConnections(),
  }));
  app.post('/control/malformed', async (req, reply) => {
    const kind = (req.body as Body)?.kind;
    if (!MALFORMED_KINDS.includes(kind as MalformedKind)) {
      return reply
        .code(400)
        .send({ error: `kind must be one of ${MALFORMED_KINDS.join(', ')}` });
    }
    return { sentTo: sim.sendMalformed(kind as MalformedKind) };
  });
  app.post('/control/stall', async req => {
    sim.stall((req.body as Body)?.on !== false);
    return sim.stats();
  });
  app.post('/control/frames', async (req, reply) => {
    const frames = (req.body as Body)?.frames;
    if (
      !Array.isArray(frames) ||
      !frames.every(f => typeof f === 'string' || Array.isArray(f))
    ) {
      return reply
        .code(400)
        .send({ error: 'frames must be a list of strings or event lists' });
    }
    return { sentTo: sim.sendFrames(frames as (string | unknown[])[]) };
  });
  app.post('/control/status', async (req, reply) => {
    const b = req.body as Body;
    if (typeof b?.status !== 'string') {
      return reply.code(400).send({ error: 'status must be a string' });
    }
    return {
      sentTo: sim.sendStatus(
        b.status,
        typeof b.message === 'string' ? b.message : '',
      ),
    };
  });
  app.post('/control/future', async req => {
    const b = req.body as Body;
    return {
      sentTo: sim.sendFutureTrades(
        num(b?.count ?? 1, 'count', 1),
        num(b?.aheadMs ?? 3_600_000, 'aheadMs', 1),
      ),
    };
  });
}
