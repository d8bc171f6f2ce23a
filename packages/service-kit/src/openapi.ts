/** One documented route; the API registers exactly these. */
export interface RouteDoc {
  method: 'GET' | 'POST';
  /** Fastify path, e.g. `/v1/strategies/:id/sync`. */
  url: string;
  summary: string;
  authenticated: boolean;
  params?: Record<string, unknown>;
  body?: Record<string, unknown>;
  /** Whether a request must carry the body (default: optional). */
  bodyRequired?: boolean;
  responses: Record<number, { description: string; schema?: unknown }>;
}

/** `/v1/strategies/:id` → `/v1/strategies/{id}`. */
export function toOpenApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** What the document says about the API as a whole. */
export interface ApiInfo {
  title: string;
  version: string;
  description: string;
}

/**
 * Builds the OpenAPI 3.1 document from the route table the API registers
 * (same schemas fastify validates with), so the two cannot drift.
 */
export function buildOpenApi(routes: readonly RouteDoc[], info: ApiInfo) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const params = r.params as
      { properties?: Record<string, unknown>; required?: string[] } | undefined;
    const parameters = Object.entries(params?.properties ?? {}).map(
      ([name, schema]) => ({
        name,
        in: 'path',
        required: params?.required?.includes(name) ?? false,
        schema,
      }),
    );
    const responses: Record<string, unknown> = {};
    for (const [code, res] of Object.entries(r.responses)) {
      responses[code] = res.schema
        ? {
            description: res.description,
            content: { 'application/json': { schema: res.schema } },
          }
        : { description: res.description };
    }
    (paths[toOpenApiPath(r.url)] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(r.body
        ? {
            requestBody: {
              required: r.bodyRequired ?? false,
              content: { 'application/json': { schema: r.body } },
            },
          }
        : {}),
      responses,
      security: r.authenticated ? [{ bearerAuth: [] }] : [],
    };
  }
  return {
    openapi: '3.1.0',
    info,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
    },
    paths,
  };
}

/** The body of every error answer of a tickpulse /v1 API. */
export const errorResponse = {
  type: 'object',
  required: ['error', 'statusCode'],
  properties: {
    error: { type: 'string' },
    statusCode: { type: 'integer' },
  },
} as const;

/** A documented error answer: its cause, with the common error body. */
export function errorDoc(description: string) {
  return { description, schema: errorResponse };
}

/**
 * The error answers `v1Api`'s bearer guard and body limit give in every
 * /v1 API, in one wording; each API adds its own (400, 429, 503).
 */
export const V1_GUARD_ERRORS = {
  401: errorDoc('Missing or wrong bearer token'),
  413: errorDoc('Body larger than HTTP_BODY_LIMIT_BYTES'),
};

/** `GET /v1/openapi.json`, served without a token by every /v1 API. */
export const OPENAPI_ROUTE = {
  method: 'GET',
  url: '/v1/openapi.json',
  summary: 'This OpenAPI document',
  authenticated: false,
  responses: { 200: { description: 'OpenAPI 3.1 document' } },
} as const satisfies RouteDoc;
