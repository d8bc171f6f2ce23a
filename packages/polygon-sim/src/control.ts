import type { FastifyInstance } from 'fastify';
import type { ScriptedPrint } from './history.js';
import {
  REST_FAULT_KINDS,
  SNAPSHOT_PATH,
  TRADES_PREFIX,
  type RestEndpoint,
  type RestFaultKind,
} from './rest.js';
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
 * - `POST /control/ignore-auth` `{ "on": true }` — leave `auth` unanswered
 * - `POST /control/frames` `{ "frames": [ "<raw>" | [ events… ] ] }`
 * - `POST /control/status` `{ "status": "…", "message": "…" }`
 * - `POST /control/future` `{ "count": 10, "aheadMs": 3600000 }`
 * - `POST /control/prints` `{ "prints": [{ "sym", "sipNs": "<digits>", "conditions"? }], "stream"?: false }`
 * - `POST /control/rest-fault` `{ "kind": "rate_limit" | …, "count"?: 1, "endpoint"?: "snapshot" | "trades" }`
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
  app.post('/control/ignore-auth', async req => {
    sim.ignoreAuth((req.body as Body)?.on !== false);
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
  app.post('/control/prints', async (req, reply) => {
    const b = req.body as Body;
    const prints = b?.prints;
    if (
      !Array.isArray(prints) ||
      !prints.every(
        p =>
          typeof p === 'object' &&
          p !== null &&
          typeof (p as ScriptedPrint).sym === 'string' &&
          // A JSON number this large has already lost its low digits.
          typeof (p as ScriptedPrint).sipNs === 'string' &&
          /^\d{1,20}$/.test((p as ScriptedPrint).sipNs as string),
      )
    ) {
      return reply.code(400).send({
        error: 'prints must be a list of { sym, sipNs: "<ns digits>" }',
      });
    }
    return {
      recorded: sim.addPrints(prints as ScriptedPrint[], b?.stream === true),
    };
  });
  app.post('/control/rest-fault', async (req, reply) => {
    const b = req.body as Body;
    const endpoint = b?.endpoint;
    if (
      !REST_FAULT_KINDS.includes(b?.kind as RestFaultKind) ||
      (endpoint !== undefined &&
        endpoint !== 'snapshot' &&
        endpoint !== 'trades')
    ) {
      return reply.code(400).send({
        error: `kind must be one of ${REST_FAULT_KINDS.join(', ')}; endpoint snapshot or trades`,
      });
    }
    sim.injectRestFault(
      b!.kind as RestFaultKind,
      num(b?.count ?? 1, 'count', 1),
      endpoint as RestEndpoint | undefined,
    );
    return { ok: true };
  });
}

/**
 * Serves the simulator's REST endpoints (full-market snapshot,
 * `/v3/trades/{ticker}`) from a fastify app, on the same port as the
 * WebSocket: the request is handed to the simulator's own handler untouched.
 */
export function registerSimRest(app: FastifyInstance, sim: PolygonSim): void {
  const handler = (
    req: { raw: Parameters<PolygonSim['handleRest']>[0] },
    reply: {
      hijack(): void;
      raw: Parameters<PolygonSim['handleRest']>[1];
    },
  ) => {
    reply.hijack();
    sim.handleRest(req.raw, reply.raw);
  };
  app.get(SNAPSHOT_PATH, handler);
  app.get(`${TRADES_PREFIX}*`, handler);
}
