import { echoValue } from '@tickpulse/contracts';

/** Polygon refused the credentials or the entitlement; retrying cannot help. */
export class PolygonAuthError extends Error {
  override name = 'PolygonAuthError';
  constructor(
    readonly status: string,
    readonly serverMessage: string,
  ) {
    // Never include the key: only what the server said.
    super(
      `Polygon rejected authentication (${status}: ${echoValue(serverMessage, 200)}); ` +
        'check POLYGON_API_KEY and that the plan includes this feed',
    );
  }
}
