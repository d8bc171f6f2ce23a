import { z } from 'zod';
import {
  baseEnvSchema,
  databaseEnv,
  MAX_DURATION_MS,
  parseEnv,
} from '@tickpulse/shared';

/** What the CLI reads from the environment (the same variables as the apps). */
export const CliConfigSchema = z.object({
  ...baseEnvSchema(0),
  // DATABASE_URL: the `strategies` table (the demo creates it when missing).
  ...databaseEnv(),
  /** When set, `up` connects ingest to the real Polygon feed instead of the simulator. */
  POLYGON_API_KEY: z.string().optional(),
  /** Seconds between status lines of `up`. */
  STATUS_INTERVAL_S: z.coerce
    .number()
    .int()
    .positive()
    .max(
      Math.floor(MAX_DURATION_MS / 1000),
      `must be at most ${Math.floor(MAX_DURATION_MS / 1000)} s (Node's timer limit)`,
    )
    .default(5),
  /**
   * `up`'s first port: polygon-sim on it, then ingest, tick-writer,
   * universe-sync and throttle-shadow on the next four (a second system on
   * one machine, tests).
   */
  UP_PORT_BASE: z.coerce.number().int().min(1).max(65531).default(9100),
  /** Where `throttle-report` reads throttle-shadow; default: the one `up` runs (UP_PORT_BASE + 4). */
  THROTTLE_SHADOW_URL: z.url().optional(),
});
export type CliConfig = z.infer<typeof CliConfigSchema>;

/** Validates the CLI's environment. */
export const loadConfig = (env: NodeJS.ProcessEnv): CliConfig =>
  parseEnv(CliConfigSchema, env, 'tickpulse');
