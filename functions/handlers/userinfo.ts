/**
 * GET and POST /userinfo: the UserInfo endpoint (OpenID Connect Core section 5.3). The access
 * token comes in the Authorization header or, with POST, in the form body (RFC 6750).
 */
import cors from '@middy/http-cors';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { httpHandler } from '../http/handler.ts';
import { logger } from '../http/logger.ts';
import { FORM_CONTENT_TYPE, readFormBody, readQuery, type Parameters } from '../http/parameters.ts';
import { jsonResponse, NO_STORE } from '../http/responses.ts';
import { handleUserinfoRequest, readBearerToken } from '../oauth/userinfo.ts';
import { userinfo } from '../runtime/services.ts';

export const handler = httpHandler(
  async (event) => {
    const token = readBearerToken({
      authorization: event.headers.authorization,
      formAccessToken: readForm(event)?.get('access_token'),
      queryHasAccessToken: readQuery(event).has('access_token'),
    });

    const claims = await handleUserinfoRequest(token, userinfo);
    logger.debug('userinfo returned', { userId: claims.sub, claims: Object.keys(claims) });
    return jsonResponse(200, claims, NO_STORE);
  },
  // A bearer token is no ambient credential like a cookie, so any origin may read the response.
  { middlewares: [cors({ origin: '*' })] },
);

/**
 * Reads the form body of a POST. A body of another media type, or none, carries no token
 * (RFC 6750 section 2.2), so the request may still use the Authorization header.
 */
function readForm(event: APIGatewayProxyEventV2): Parameters | undefined {
  if (event.requestContext.http.method !== 'POST') return undefined;
  const mediaType = (event.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  return mediaType === FORM_CONTENT_TYPE ? readFormBody(event) : undefined;
}
