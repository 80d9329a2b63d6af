/** POST /introspect: the introspection endpoint (RFC 7662). */
import { httpHandler } from '../http/handler.ts';
import { logger } from '../http/logger.ts';
import { readFormBody } from '../http/parameters.ts';
import { jsonResponse, NO_STORE } from '../http/responses.ts';
import { handleIntrospectionRequest } from '../oauth/introspection.ts';
import { tokenLookup } from '../runtime/services.ts';

export const handler = httpHandler(async (event) => {
  const parameters = readFormBody(event);
  const { client, response } = await handleIntrospectionRequest(
    parameters,
    event.headers.authorization,
    tokenLookup,
  );

  logger.appendKeys({ clientId: client.clientId });
  logger.debug('token introspected', {
    active: response.active,
    tokenType: response.active ? response.token_type : undefined,
  });
  return jsonResponse(200, response, NO_STORE);
});
