import type { Config } from './config.js';

/** The shadow comparison loop and the PostgreSQL it reads strategies from. */
export interface ShadowLoopOptions {
  enabled: boolean;
  intervalMs: number;
  databaseUrl: string;
}

/** The namespace comparison (cutover). */
export interface CompareOptions {
  enabled: boolean;
  /** The reference namespace; '' is the Go-written keys. */
  referencePrefix: string;
  intervalMs: number;
}

/** The planner API served by main's HTTP server. */
export interface PlannerApiOptions {
  enabled: boolean;
  apiToken: string | null;
  defaultClaimTtlMs: number;
  rateLimitPerMinute: number;
}

/** The ops HTTP server. */
export interface HttpOptions {
  port: number;
  bodyLimit: number;
  trustProxy: Config['TRUST_PROXY'];
}

/**
 * Everything throttle-shadow's root needs from config, in option groups.
 * The env names stop at this file: the service and its modules never see
 * them, so renaming a variable touches `config.ts` and the mapping here only.
 */
export interface ThrottleShadowOptions {
  keyPrefix: string;
  shadow: ShadowLoopOptions;
  compare: CompareOptions;
  planner: { globalChunk: number };
  plannerApi: PlannerApiOptions;
  http: HttpOptions;
}

/** Maps the parsed environment to the app's options. */
export function throttleShadowOptions(config: Config): ThrottleShadowOptions {
  return {
    keyPrefix: config.REDIS_KEY_PREFIX,
    shadow: {
      enabled: config.THROTTLE_SHADOW_ENABLED,
      intervalMs: config.SHADOW_INTERVAL,
      databaseUrl: config.DATABASE_URL,
    },
    compare: {
      enabled: config.COMPARE_ENABLED,
      referencePrefix: config.COMPARE_REFERENCE_PREFIX,
      intervalMs: config.COMPARE_INTERVAL,
    },
    planner: { globalChunk: config.PLANNER_GLOBAL_CHUNK },
    plannerApi: {
      enabled: config.PLANNER_API_ENABLED,
      apiToken: config.API_TOKEN ?? null,
      defaultClaimTtlMs: config.PLANNER_CLAIM_TTL,
      rateLimitPerMinute: config.API_RATE_LIMIT,
    },
    http: {
      port: config.HTTP_PORT,
      bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
      trustProxy: config.TRUST_PROXY,
    },
  };
}
