import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
} from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TrustProxy } from './config.js';
import { withDeadline } from './lifecycle.js';

/**
 * `/readyz` and `/metrics` answer within this, whatever a dependency does:
 * the manifests give the kubelet's probes `timeoutSeconds: 3`, and a probe
 * that times out counts as failed without saying why.
 */
export const PROBE_BUDGET_MS = 2000;

/**
 * One dependency check or scrape-time read (a PING, a queue count) may take
 * this long; a stopped Redis otherwise holds it until the kernel gives up.
 */
export const CHECK_TIMEOUT_MS = 1000;

/** One dependency's health, as /readyz reports it. */
export interface CheckResult {
  ok: boolean;
  /** A fixed, app-written description; shown to every caller. */
  detail?: string;
  /**
   * The dependency's own error text. Logged (once per change), never sent:
   * /readyz is unauthenticated, and driver messages can name hosts, users
   * or configuration.
   */
  error?: string;
}

/** What /readyz answers: ready only when every check is ok. */
export type ReadinessProbe = () =>
  Promise<Record<string, CheckResult>> | Record<string, CheckResult>;

/** How long a client may take over a request; see `createOpsServer`. */
export interface HttpTimeouts {
  /** From connect to the end of the request headers. */
  headersMs: number;
  /** From connect to the end of the whole request, body included. */
  requestMs: number;
  /** A socket with no traffic at all for this long is closed (keep-alive idle included). */
  idleMs: number;
  /** How often Node checks the two bounds above (its default is 30 s). */
  checkEveryMs: number;
}

/**
 * Defaults for every tickpulse HTTP server. Requests are small (bodies at
 * most the body limit, 64 KB by default) and come from probes, Prometheus and
 * API clients in the cluster: a client that needs more than 10 s to send its
 * headers or 30 s for the whole request is stuck or hostile. Without these,
 * fastify's `requestTimeout` of 0 lets a slow-header or slow-body client hold
 * a connection (and its memory) forever.
 */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  idleMs: 75_000,
  checkEveryMs: 1_000,
};

/**
 * The app's HTTP server with the operator endpoints: `/healthz` (alive),
 * `/readyz` (dependencies reachable and doing its job; 503 otherwise) and
 * `/metrics` (Prometheus text). Apps add their own routes before `listen`
 * (the /v1 APIs live on this server too, so every tickpulse HTTP endpoint has
 * the same request and header timeouts). Never calls `listen` itself.
 */
export function createOpsServer(opts: {
  logger: Logger;
  registry: Registry;
  readiness: ReadinessProbe;
  bodyLimit?: number;
  /** Overrides of `DEFAULT_HTTP_TIMEOUTS` (tests use short ones). */
  timeouts?: Partial<HttpTimeouts>;
  /** fastify's `trustProxy` (from `TRUST_PROXY`): whose `X-Forwarded-For` sets `request.ip`. */
  trustProxy?: TrustProxy;
  /** Deadline of /readyz and /metrics (default PROBE_BUDGET_MS). */
  probeBudgetMs?: number;
}): FastifyInstance {
  const t = { ...DEFAULT_HTTP_TIMEOUTS, ...opts.timeouts };
  const budget = opts.probeBudgetMs ?? PROBE_BUDGET_MS;
  const app = Fastify({
    loggerInstance: opts.logger.child({
      component: 'http',
    }) as FastifyBaseLogger,
    // Probes and scrapes arrive every few seconds; per-request lines would drown the log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
    forceCloseConnections: true,
    // Node answers 408 and closes the socket when either bound passes.
    requestTimeout: t.requestMs,
    connectionTimeout: t.idleMs,
    http: {
      headersTimeout: t.headersMs,
      requestTimeout: t.requestMs,
      connectionsCheckingInterval: t.checkEveryMs,
    },
    trustProxy: opts.trustProxy ?? false,
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  const log = opts.logger.child({ component: 'readiness' });
  const lastError = new Map<string, string>();
  app.get('/readyz', async (_req, reply) => {
    let checks: Record<string, CheckResult>;
    try {
      checks = await withDeadline(
        Promise.resolve().then(opts.readiness),
        budget,
        'readiness checks',
      );
    } catch (err) {
      checks = {
        readiness: {
          ok: false,
          detail: 'readiness probe failed',
          error: (err as Error).message,
        },
      };
    }
    const shown: Record<string, CheckResult> = {};
    for (const [name, { error, ...check }] of Object.entries(checks)) {
      shown[name] = check;
      // Probes arrive every few seconds: log a failure when it starts or changes, not each time.
      if (error !== undefined && lastError.get(name) !== error) {
        log.warn({ check: name, error }, 'readiness check failing');
        lastError.set(name, error);
      } else if (error === undefined) lastError.delete(name);
    }
    const ready = Object.values(checks).every(c => c.ok);
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', checks: shown });
  });

  app.get('/metrics', async (_req, reply) => {
    let body: string;
    try {
      body = await withDeadline(opts.registry.metrics(), budget, 'metrics');
    } catch (err) {
      // Scrape-time collectors bound their own reads; this is the last guard.
      log.warn({ err }, 'metrics collection failed');
      return reply
        .code(503)
        .send({ error: 'metrics unavailable', statusCode: 503 });
    }
    return reply.header('content-type', opts.registry.contentType).send(body);
  });

  app.setErrorHandler(
    (err: Error & { statusCode?: number }, request, reply) => {
      const status =
        err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
      if (status >= 500)
        request.log.error({ err, url: request.url }, 'request failed');
      return reply.code(status).send({
        error: status >= 500 ? 'internal error' : err.message,
        statusCode: status,
      });
    },
  );

  return app;
}

/** Listens on all interfaces (probes and scrapers cannot reach 127.0.0.1); returns the port. */
export async function listenOps(
  app: FastifyInstance,
  port: number,
): Promise<number> {
  await app.listen({ host: '0.0.0.0', port });
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : port;
}
