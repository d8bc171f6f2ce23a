import { baseEnvSchema, parseEnv } from '@tickpulse/shared';
import { z } from 'zod';

/** polygon-sim's environment (documented in apps/polygon-sim/README.md). */
export const ConfigSchema = z.object({
  ...baseEnvSchema(9100),
  /** Generated trades per second; 0 = only frames sent through the control API. */
  SIM_RATE: z.coerce.number().min(0).max(2_000_000).default(2000),
  /** Number of simulated tickers. */
  SIM_TICKERS: z.coerce.number().int().min(1).max(100_000).default(10_000),
  /** Comma-separated accepted API keys; empty accepts any key. Each key is one account. */
  SIM_API_KEY: z
    .string()
    .default('')
    .transform(s =>
      s
        .split(',')
        .map(k => k.trim())
        .filter(Boolean),
    ),
  /** Seed of the universe and the stream. */
  SIM_SEED: z.coerce.number().int().default(42),
  /** Most trades per frame. */
  SIM_MAX_EVENTS_PER_FRAME: z.coerce.number().int().min(1).default(1000),
  /** `auto` (New York clock), `regular` or `extended`: whether prints carry Form T [12]. */
  SIM_SESSION: z.enum(['auto', 'regular', 'extended']).default('auto'),
  /** Prints remembered per ticker for the REST endpoints. */
  SIM_HISTORY_PER_TICKER: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(64),
  /** Most results per `/v3/trades` page (small values exercise `next_url`). */
  SIM_REST_PAGE_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(50_000)
    .default(50_000),
});
export type SimConfig = z.infer<typeof ConfigSchema>;

/** Validates the simulator's environment. */
export function loadConfig(env: Record<string, string | undefined>): SimConfig {
  return parseEnv(ConfigSchema, env, 'polygon-sim');
}
