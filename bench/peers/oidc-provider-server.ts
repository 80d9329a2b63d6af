/**
 * The peer of the token throughput benchmark: node oidc-provider 9, configured for the same
 * work as our client credentials grant. One confidential client authenticates with
 * client_secret_basic, and the token endpoint returns an ES256-signed JWT access token (RFC
 * 9068 `at+jwt`) whose audience is the issuer. It keeps state in oidc-provider's default
 * in-memory adapter, which JWT access tokens do not touch.
 *
 * Run: PORT=… PEER_CLIENT_SECRET=… node bench/peers/oidc-provider-server.ts
 * It listens on 127.0.0.1 only and prints `oidc-provider listening on <issuer>` when ready.
 */
import Provider from 'oidc-provider';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.env.PORT);
const clientId = process.env.PEER_CLIENT_ID ?? 'bench-client';
const clientSecret = process.env.PEER_CLIENT_SECRET;
if (!Number.isInteger(port) || port <= 0 || clientSecret === undefined) {
  throw new Error('Set PORT to a free port and PEER_CLIENT_SECRET to the client secret.');
}

const issuer = `http://127.0.0.1:${port}`;
const scope = 'api:read api:write';
const accessTokenLifetimeSeconds = 3600;

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-es256', alg: 'ES256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope,
      // The keystore holds only the ES256 key, and this client never receives an ID token.
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [signingJwk] },
  scopes: scope.split(' '),
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  ttl: { ClientCredentials: accessTokenLifetimeSeconds },
  features: {
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Without a `resource` parameter the token is for the issuer, as our server's default.
      defaultResource: () => issuer,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope,
        audience: issuer,
        accessTokenTTL: accessTokenLifetimeSeconds,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});

provider.on('server_error', (_context, error) => {
  process.stderr.write(`oidc-provider server_error: ${String(error)}\n`);
});

const server = createServer(provider.callback());
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`oidc-provider listening on ${issuer}\n`);
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
