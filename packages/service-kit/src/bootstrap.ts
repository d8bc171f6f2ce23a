import { ConfigError } from '@tickpulse/contracts';
import { createLogger } from './logger.js';

/** Exit status for a configuration error (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

/**
 * Runs an app's `main()`. A configuration error is logged once, listing
 * every bad variable, and exits 78; any other start-up failure exits 1.
 */
export function runMain(service: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const logger = createLogger({ service });
    if (err instanceof ConfigError) {
      logger.fatal({ problems: err.problems }, err.message);
      process.exit(EXIT_CONFIG);
    }
    logger.fatal({ err }, 'startup failed');
    process.exit(1);
  });
}
