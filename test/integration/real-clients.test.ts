/**
 * Real OAuth client libraries, written by others, against the local server: they discover
 * it from its metadata, run the client credentials grant with both client authentication
 * methods, and the tokens verify against the server's JWKS URL.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as openidClient from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';

const BASIC_CLIENT = { id: 'inventory', secret: 'inventory-secret-0123456789abcdef' };
const POST_CLIENT = { id: 'shipping', secret: 'shipping-secret-0123456789abcdef' };

let table: TestTable;
let server: TestServer;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      clientId: BASIC_CLIENT.id,
      secret: BASIC_CLIENT.secret,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      scopes: ['inventory:read', 'inventory:write'],
    },
    {
      clientId: POST_CLIENT.id,
      secret: POST_CLIENT.secret,
      tokenEndpointAuthMethod: 'client_secret_post',
      grantTypes: ['client_credentials'],
      scopes: ['shipping:read'],
    },
  ]);
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

/** Verifies an access token as a resource server would, against the JWKS URL. */
async function verifyWithJose(token: string, jwksUri: string) {
  const jwks = createRemoteJWKSet(new URL(jwksUri));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: server.url,
    audience: server.url,
    typ: 'at+jwt',
    algorithms: ['ES256'],
  });
  return { payload, protectedHeader };
}

describe('oauth4webapi', () => {
  const discover = async () => {
    const issuer = new URL(server.url);
    const response = await oauth.discoveryRequest(issuer, {
      algorithm: 'oauth2',
      [oauth.allowInsecureRequests]: true,
    });
    return oauth.processDiscoveryResponse(issuer, response);
  };

  const requestToken = async (
    authorizationServer: oauth.AuthorizationServer,
    clientId: string,
    authentication: oauth.ClientAuth,
    scope: string,
  ) => {
    const client: oauth.Client = { client_id: clientId };
    const response = await oauth.clientCredentialsGrantRequest(
      authorizationServer,
      client,
      authentication,
      { scope },
      { [oauth.allowInsecureRequests]: true },
    );
    return oauth.processClientCredentialsResponse(authorizationServer, client, response);
  };

  it('obtains a token with client_secret_basic', async () => {
    const authorizationServer = await discover();

    const tokens = await requestToken(
      authorizationServer,
      BASIC_CLIENT.id,
      oauth.ClientSecretBasic(BASIC_CLIENT.secret),
      'inventory:read',
    );

    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('inventory:read');
    const { payload } = await verifyWithJose(tokens.access_token, String(authorizationServer.jwks_uri));
    expect(payload.client_id).toBe(BASIC_CLIENT.id);
    expect(payload.sub).toBe(BASIC_CLIENT.id);
  });

  it('obtains a token with client_secret_post', async () => {
    const authorizationServer = await discover();

    const tokens = await requestToken(
      authorizationServer,
      POST_CLIENT.id,
      oauth.ClientSecretPost(POST_CLIENT.secret),
      'shipping:read',
    );

    const { payload } = await verifyWithJose(tokens.access_token, String(authorizationServer.jwks_uri));
    expect(payload.client_id).toBe(POST_CLIENT.id);
    expect(payload.scope).toBe('shipping:read');
  });

  it('validates the token as an RFC 9068 resource server', async () => {
    const authorizationServer = await discover();
    const tokens = await requestToken(
      authorizationServer,
      BASIC_CLIENT.id,
      oauth.ClientSecretBasic(BASIC_CLIENT.secret),
      'inventory:write',
    );
    const request = new Request('http://127.0.0.1/inventory', {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });

    const claims = await oauth.validateJwtAccessToken(authorizationServer, request, server.url, {
      [oauth.allowInsecureRequests]: true,
    });

    expect(claims.client_id).toBe(BASIC_CLIENT.id);
    expect(claims.scope).toBe('inventory:write');
  });

  it('surfaces invalid_client as a Basic challenge', async () => {
    const authorizationServer = await discover();

    const error = await requestToken(
      authorizationServer,
      BASIC_CLIENT.id,
      oauth.ClientSecretBasic('not-the-secret'),
      'inventory:read',
    ).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = error as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0]?.scheme).toBe('basic');
    const body = (await challenge.response.json()) as Record<string, unknown>;
    expect(body.error).toBe('invalid_client');
  });
});

describe('openid-client', () => {
  const configure = (clientId: string, authentication: openidClient.ClientAuth) =>
    openidClient.discovery(new URL(server.url), clientId, undefined, authentication, {
      execute: [openidClient.allowInsecureRequests],
    });

  it('obtains a token with client_secret_basic', async () => {
    const configuration = await configure(
      BASIC_CLIENT.id,
      openidClient.ClientSecretBasic(BASIC_CLIENT.secret),
    );

    const tokens = await openidClient.clientCredentialsGrant(configuration, {
      scope: 'inventory:read inventory:write',
    });

    expect(tokens.expiresIn()).toBeGreaterThan(3500);
    const jwksUri = String(configuration.serverMetadata().jwks_uri);
    const { payload, protectedHeader } = await verifyWithJose(tokens.access_token, jwksUri);
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload.scope).toBe('inventory:read inventory:write');
  });

  it('obtains a token with client_secret_post', async () => {
    const configuration = await configure(
      POST_CLIENT.id,
      openidClient.ClientSecretPost(POST_CLIENT.secret),
    );

    const tokens = await openidClient.clientCredentialsGrant(configuration);

    const jwksUri = String(configuration.serverMetadata().jwks_uri);
    const { payload } = await verifyWithJose(tokens.access_token, jwksUri);
    expect(payload.client_id).toBe(POST_CLIENT.id);
    expect(payload.scope).toBe('shipping:read');
  });
});
