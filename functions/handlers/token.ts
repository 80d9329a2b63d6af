/** POST /token: the token endpoint (RFC 6749 section 3.2). */
import { httpHandler } from '../http/handler.ts';
import { logger } from '../http/logger.ts';
import { countTokenIssued } from '../http/metrics.ts';
import { readFormBody } from '../http/parameters.ts';
import { jsonResponse, NO_STORE } from '../http/responses.ts';
import { handleTokenRequest } from '../oauth/token-endpoint.ts';
import { tokenEndpoint } from '../runtime/services.ts';

export const handler = httpHandler(async (event) => {
  const parameters = readFormBody(event);
  logger.appendKeys({ grantType: parameters.get('grant_type') });

  const { response, client, grantType } = await handleTokenRequest(
    parameters,
    event.headers.authorization,
    tokenEndpoint,
    event.requestContext.http.sourceIp,
  );

  logger.appendKeys({ clientId: client.clientId });
  countTokenIssued(grantType);
  logger.debug('token issued', { scope: response.scope, expiresIn: response.expires_in });
  return jsonResponse(200, response, NO_STORE);
});
