/** GET /.well-known/oauth-authorization-server: authorization server metadata (RFC 8414). */
import cors from '@middy/http-cors';
import { httpHandler } from '../http/handler.ts';
import { jsonResponse, METADATA_CACHE_HEADERS } from '../http/responses.ts';
import { authorizationServerMetadata } from '../oauth/metadata.ts';
import { config } from '../runtime/config.ts';

const document = authorizationServerMetadata(config.issuer);

export const handler = httpHandler(
  async () => jsonResponse(200, document, METADATA_CACHE_HEADERS),
  { middlewares: [cors({ origin: '*' })] },
);
