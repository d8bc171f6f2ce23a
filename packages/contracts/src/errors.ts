import { echoValue } from './echo.js';

/** Environment variables failed validation; `problems` lists every one. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly problems: string[],
    service?: string,
  ) {
    super(
      `invalid configuration${service ? ` for ${service}` : ''}:\n` +
        problems.map(p => `  - ${p}`).join('\n'),
    );
  }
}

/** One or more tickers are not valid symbols; nothing was written. */
export class InvalidTickerError extends Error {
  override name = 'InvalidTickerError';
  constructor(
    readonly invalid: { index: number; value: unknown; reason: string }[],
  ) {
    super(
      `${invalid.length} invalid ticker(s): ` +
        invalid
          .slice(0, 10)
          .map(i => `[${i.index}] ${echoValue(i.value)} (${i.reason})`)
          .join(', ') +
        (invalid.length > 10 ? `, … ${invalid.length - 10} more` : ''),
    );
  }
}

/** A queue job payload does not match its contract; retrying cannot help. */
export class InvalidJobError extends Error {
  override name = 'InvalidJobError';
  constructor(
    readonly queue: string,
    readonly reason: string,
  ) {
    super(`invalid ${queue} job: ${reason}`);
  }
}
