import { z } from 'zod';
import {
  baseEnvSchema,
  databaseEnv,
  duration,
  parseEnv,
} from '@tickpulse/service-kit';

/** What the CLI reads from the environment (the same variables as the apps). */
export const CliConfigSchema = z.object({
  ...baseEnvSchema(0),
  // DATABASE_URL: the `strategies` table (the demo creates it when missing).
  ...databaseEnv(),
  POLYGON_API_KEY: z
    .string()
    .optional()
    .describe(
      'when set, `up` connects ingest to the real Polygon feed instead of the simulator',
    ),
  STATUS_INTERVAL_S: duration('5', { plain: 's' }).describe(
    'time between the status lines of `up`',
  ),
  UP_PORT_BASE: z.coerce
    .number()
    .int()
    .min(1)
    .max(65531)
    .default(9100)
    .describe(
      "`up`'s first port: polygon-sim on it, then ingest, tick-writer, universe-sync and throttle-shadow on the next four (a second system on one machine, tests)",
    ),
  THROTTLE_SHADOW_URL: z
    .url()
    .optional()
    .meta({
      defaultText: '`http://127.0.0.1:<UP_PORT_BASE + 4>`, the one `up` runs',
    })
    .describe('where `throttle-report` reads throttle-shadow'),
});
export type CliConfig = z.infer<typeof CliConfigSchema>;

/** Validates the CLI's environment. */
export const loadConfig = (env: NodeJS.ProcessEnv): CliConfig =>
  parseEnv(CliConfigSchema, env, 'tickpulse');
