/** GET /jwks.json: the public signing keys (RFC 7517), for offline token validation. */
import cors from '@middy/http-cors';
import { httpHandler } from '../http/handler.ts';
import { jsonResponse } from '../http/responses.ts';
import { JWKS_MAX_AGE_SECONDS } from '../oauth/signing-keys.ts';
import { signingKeys } from '../runtime/services.ts';

export const handler = httpHandler(
  async () => {
    const jwks = await signingKeys.publicJwks();
    return jsonResponse(200, jwks, {
      'Content-Type': 'application/jwk-set+json;charset=UTF-8',
      'Cache-Control': `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
    });
  },
  { middlewares: [cors({ origin: '*' })] },
);
