/** GET /.well-known/openid-configuration: OpenID Connect Discovery 1.0 metadata. */
import cors from '@middy/http-cors';
import { httpHandler } from '../http/handler.ts';
import { jsonResponse, METADATA_CACHE_HEADERS } from '../http/responses.ts';
import { openIdConfiguration } from '../oauth/metadata.ts';
import { config } from '../runtime/config.ts';

const document = openIdConfiguration(config.issuer);

export const handler = httpHandler(
  async () => jsonResponse(200, document, METADATA_CACHE_HEADERS),
  { middlewares: [cors({ origin: '*' })] },
);
