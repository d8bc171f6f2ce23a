import { baseEnvSchema, parseEnv } from '@tickpulse/service-kit';
import { z } from 'zod';

/** polygon-sim's environment (documented in apps/polygon-sim/README.md). */
export const ConfigSchema = z.object({
  ...baseEnvSchema(9100),
  SIM_RATE: z.coerce
    .number()
    .min(0)
    .max(2_000_000)
    .default(2000)
    .describe('generated trades per second (up to 2 000 000)'),
  SIM_TICKERS: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(10_000)
    .describe('universe size'),
  SIM_API_KEY: z
    .string()
    .default('')
    .transform(s =>
      s
        .split(',')
        .map(k => k.trim())
        .filter(Boolean),
    )
    .describe('comma-separated accepted keys; empty accepts any key'),
  SIM_SEED: z.coerce
    .number()
    .int()
    .default(42)
    .describe('seed of universe and stream'),
  SIM_MAX_EVENTS_PER_FRAME: z.coerce
    .number()
    .int()
    .min(1)
    .default(1000)
    .describe('batch size cap'),
  SIM_SESSION: z
    .enum(['auto', 'regular', 'extended'])
    .default('auto')
    .describe(
      '`auto` (New York clock), `regular`, `extended` (Form T on every print)',
    ),
  SIM_HISTORY_PER_TICKER: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(64)
    .describe('prints remembered per ticker for the REST endpoints'),
  SIM_REST_PAGE_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(50_000)
    .default(50_000)
    .describe(
      'most results per `/v3/trades` page (a small value exercises `next_url`)',
    ),
});
export type SimConfig = z.infer<typeof ConfigSchema>;

/** Validates the simulator's environment. */
export function loadConfig(env: Record<string, string | undefined>): SimConfig {
  return parseEnv(ConfigSchema, env, 'polygon-sim');
}
