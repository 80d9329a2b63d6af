/** POST /revoke: the revocation endpoint (RFC 7009). */
import { httpHandler } from '../http/handler.ts';
import { logger } from '../http/logger.ts';
import { readFormBody } from '../http/parameters.ts';
import { NO_STORE } from '../http/responses.ts';
import { handleRevocationRequest } from '../oauth/revocation.ts';
import { tokenLookup } from '../runtime/services.ts';

export const handler = httpHandler(async (event) => {
  const parameters = readFormBody(event);
  const { client, outcome } = await handleRevocationRequest(
    parameters,
    event.headers.authorization,
    tokenLookup,
  );

  logger.appendKeys({ clientId: client.clientId });
  if (outcome.status === 'other_client') {
    // RFC 7009 section 2.2 requires 200 here too, so only the log shows the attempt.
    logger.warn("revocation of another client's token ignored", {
      tokenType: outcome.tokenType,
      tokenClientId: outcome.tokenClientId,
    });
  } else if (outcome.status === 'not_found') {
    logger.info('revocation of an unknown, malformed or expired token ignored');
  } else {
    logger.info('token revoked', { tokenType: outcome.tokenType, status: outcome.status });
  }

  // The client ignores the body (RFC 7009 section 2.2), so none is sent.
  return { statusCode: 200, headers: { ...NO_STORE }, body: '' };
});
