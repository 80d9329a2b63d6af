/**
 * GET /health: 200 `{"status":"ok"}` when this region can sign tokens, which requires that its
 * table replica responds and a signing key is available, and 503 with Retry-After otherwise.
 * Route 53 health checks call it to decide whether clients are routed to this region.
 */
import { httpHandler } from '../http/handler.ts';
import { jsonResponse, NO_STORE } from '../http/responses.ts';
import { TemporarilyUnavailableError } from '../oauth/errors.ts';
import { signingKeys } from '../runtime/services.ts';

export const handler = httpHandler(async () => {
  await requireSigningKey();
  return jsonResponse(200, { status: 'ok' }, NO_STORE);
});

/**
 * Loads the current signing key, creating the first one if the table has none. The key comes
 * from the memory cache for MEMORY_CACHE_SECONDS, which the deployment sets to 0 for this
 * function so that every check reads the table.
 */
async function requireSigningKey(): Promise<void> {
  try {
    await signingKeys.current();
  } catch (error) {
    // Any failure means this region cannot issue tokens: 503 takes it out of DNS answers,
    // and the pipeline logs the cause.
    throw new TemporarilyUnavailableError(
      'The server cannot issue tokens at the moment. Retry after the given delay.',
      { cause: error, retryAfterSeconds: 1 },
    );
  }
}
