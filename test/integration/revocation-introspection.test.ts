/**
 * Token revocation (RFC 7009) and introspection (RFC 7662) over HTTP, with oauth4webapi as a
 * real client. Tokens come from a real authorization code flow. An expired token, which no
 * flow produces within a test, is signed with the server's own key, read from the table. The
 * server runs with no refresh token reuse grace period, so a rotated token is inactive after
 * the next full second.
 */
import { decodeJwt, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserAgent, type UserCredentials } from '../support/authorization-flow.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { openServerKeys } from '../support/server-keys.ts';
import { postToken } from '../support/token-requests.ts';
import { createUser } from '../support/users.ts';

const FORM = 'application/x-www-form-urlencoded';
const REDIRECT_URI = 'https://app.example.com/cb';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };
const SCOPE = 'api:read api:write';

const SECRETS: Record<string, string> = {
  'web-app': 'web-app-secret-0123456789',
  'other-app': 'other-app-secret-0123456789',
  'resource-server': 'resource-server-secret-0123456789',
  'plain-service': 'plain-service-secret-0123456789',
};

let table: TestTable;
let server: TestServer;
let aliceId: string;
let browser: UserAgent;
let authorizationServer: oauth.AuthorizationServer;

beforeAll(async () => {
  table = await startTestTable();
  const userClient = {
    tokenEndpointAuthMethod: 'client_secret_basic' as const,
    grantTypes: ['authorization_code' as const, 'refresh_token' as const],
    responseTypes: ['code' as const],
    redirectUris: [REDIRECT_URI],
    scopes: ['api:read', 'api:write'],
    skipConsent: true,
  };
  await registerClients(table.endpoint, [
    { ...userClient, clientId: 'web-app', secret: secret('web-app') },
    { ...userClient, clientId: 'other-app', secret: secret('other-app') },
    {
      clientId: 'resource-server',
      secret: secret('resource-server'),
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: [],
      scopes: [],
      introspection: true,
    },
    {
      clientId: 'plain-service',
      secret: secret('plain-service'),
      tokenEndpointAuthMethod: 'client_secret_post',
      grantTypes: ['client_credentials'],
      scopes: ['api:read'],
    },
  ]);
  aliceId = await createUser(table.endpoint, ALICE.username, ALICE.password);
  server = await startServer({
    DYNAMODB_ENDPOINT: table.endpoint,
    TABLE_NAME: TEST_TABLE,
    REFRESH_TOKEN_REUSE_GRACE_SECONDS: '0',
  });
  browser = new UserAgent(server.url);

  const issuer = new URL(server.url);
  const discovery = await oauth.discoveryRequest(issuer, {
    algorithm: 'oauth2',
    [oauth.allowInsecureRequests]: true,
  });
  authorizationServer = await oauth.processDiscoveryResponse(issuer, discovery);
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

function secret(clientId: string): string {
  return SECRETS[clientId] ?? '';
}

function basic(clientId: string): Record<string, string> {
  return { authorization: basicAuthorization(clientId, secret(clientId)) };
}

interface UserTokens {
  accessToken: string;
  refreshToken: string;
}

/** Runs the flow as Alice and redeems the code as `clientId`. */
async function obtainTokens(clientId = 'web-app'): Promise<UserTokens> {
  const { code } = await browser.obtainCode(
    { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI, scope: SCOPE },
    ALICE,
  );
  const { body } = await postToken(
    server.url,
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
    basic(clientId),
  );
  if (typeof body.access_token !== 'string' || typeof body.refresh_token !== 'string') {
    throw new Error(`The code redemption returned no tokens: ${JSON.stringify(body)}`);
  }
  return { accessToken: body.access_token, refreshToken: body.refresh_token };
}

function refresh(refreshToken: string, clientId = 'web-app') {
  return postToken(
    server.url,
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    basic(clientId),
  );
}

/** Revokes with oauth4webapi, authenticating with client_secret_basic. */
async function revokeWithClient(clientId: string, token: string, hint?: string) {
  const response = await oauth.revocationRequest(
    authorizationServer,
    { client_id: clientId },
    oauth.ClientSecretBasic(secret(clientId)),
    token,
    {
      [oauth.allowInsecureRequests]: true,
      ...(hint === undefined ? {} : { additionalParameters: { token_type_hint: hint } }),
    },
  );
  return oauth.processRevocationResponse(response);
}

/** Introspects with oauth4webapi as `resource-server`. */
async function introspect(token: string, hint?: string): Promise<oauth.IntrospectionResponse> {
  const client = { client_id: 'resource-server' };
  const response = await oauth.introspectionRequest(
    authorizationServer,
    client,
    oauth.ClientSecretBasic(secret('resource-server')),
    token,
    {
      [oauth.allowInsecureRequests]: true,
      ...(hint === undefined ? {} : { additionalParameters: { token_type_hint: hint } }),
    },
  );
  return oauth.processIntrospectionResponse(authorizationServer, client, response);
}

/** POSTs a form to an endpoint without a client library, for status and header checks. */
async function postForm(path: string, form: Record<string, string>, headers = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': FORM, ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { response, text: await response.text() };
}

/** Returns the server's current ES256 signing key, read from the table and decrypted. */
async function serverSigningKey(): Promise<{ kid: string; privateKey: CryptoKey }> {
  const keys = openServerKeys(table.endpoint);
  try {
    const { kid, privateKey } = await keys.signingKeys.current('ES256');
    return { kid, privateKey };
  } finally {
    keys.close();
  }
}

/** Signs an access token as the server does, with the given claims changed. */
async function signLikeServer(claims: JWTPayload, kid?: string): Promise<string> {
  const key = await serverSigningKey();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: server.url,
    sub: aliceId,
    aud: server.url,
    client_id: 'web-app',
    scope: 'api:read',
    jti: `crafted-${now}-${Math.random().toString(36).slice(2)}`,
    iat: now,
    exp: now + 600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: kid ?? key.kid })
    .sign(key.privateKey);
}

describe('revocation › oauth4webapi', () => {
  it('revokes an access token', async () => {
    const { accessToken } = await obtainTokens();

    await expect(revokeWithClient('web-app', accessToken)).resolves.toBeUndefined();

    expect(await introspect(accessToken)).toEqual({ active: false });
  });

  it('revokes a refresh token and its access tokens', async () => {
    const { accessToken, refreshToken } = await obtainTokens();
    const rotated = await refresh(refreshToken);
    const latestAccessToken = String(rotated.body.access_token);
    const latestRefreshToken = String(rotated.body.refresh_token);

    await revokeWithClient('web-app', latestRefreshToken, 'refresh_token');

    expect(await introspect(latestRefreshToken)).toEqual({ active: false });
    expect(await introspect(latestAccessToken)).toEqual({ active: false });
    expect(await introspect(accessToken)).toEqual({ active: false });
    const { response, body } = await refresh(latestRefreshToken);
    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });

  it('accepts an unknown token', async () => {
    await expect(revokeWithClient('web-app', 'not-a-token')).resolves.toBeUndefined();
  });
});

describe('introspection › oauth4webapi', () => {
  it('describes an active access token', async () => {
    const { accessToken } = await obtainTokens();
    const claims = decodeJwt(accessToken);

    const introspection = await introspect(accessToken);

    expect(introspection).toEqual({
      active: true,
      token_type: 'Bearer',
      client_id: 'web-app',
      sub: aliceId,
      iss: server.url,
      aud: server.url,
      scope: SCOPE,
      jti: claims.jti,
      iat: claims.iat,
      exp: claims.exp,
    });
  });

  it('describes an active refresh token', async () => {
    const { refreshToken } = await obtainTokens();

    const introspection = await introspect(refreshToken, 'refresh_token');

    expect(introspection).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      client_id: 'web-app',
      sub: aliceId,
      iss: server.url,
      scope: SCOPE,
    });
    expect(introspection.exp).toBeGreaterThan(Date.now() / 1000);
  });

  it('describes a client credentials token', async () => {
    const { body } = await postToken(server.url, {
      grant_type: 'client_credentials',
      client_id: 'plain-service',
      client_secret: secret('plain-service'),
    });

    const introspection = await introspect(String(body.access_token));

    expect(introspection).toMatchObject({
      active: true,
      client_id: 'plain-service',
      sub: 'plain-service',
    });
  });
});

describe('revoke endpoint', () => {
  it('returns 200 with an empty body', async () => {
    const { refreshToken } = await obtainTokens();

    const { response, text } = await postForm('/revoke', { token: refreshToken }, basic('web-app'));

    expect(response.status).toBe(200);
    expect(text).toBe('');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('rejects a missing token', async () => {
    const { response, text } = await postForm('/revoke', {}, basic('web-app'));

    expect(response.status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ error: 'invalid_request' });
  });

  it('rejects a request without client authentication', async () => {
    const { response, text } = await postForm('/revoke', { token: 'anything' });

    expect(response.status).toBe(401);
    expect(JSON.parse(text)).toMatchObject({ error: 'invalid_client' });
  });

  it('rejects a wrong client secret', async () => {
    const authorization = basicAuthorization('web-app', 'not-the-secret');

    const { response, text } = await postForm('/revoke', { token: 'anything' }, { authorization });

    expect(response.status).toBe(401);
    expect(JSON.parse(text)).toMatchObject({ error: 'invalid_client' });
  });

  it('accepts client_secret_post', async () => {
    const { body } = await postToken(server.url, {
      grant_type: 'client_credentials',
      client_id: 'plain-service',
      client_secret: secret('plain-service'),
    });
    const accessToken = String(body.access_token);

    const { response } = await postForm('/revoke', {
      token: accessToken,
      client_id: 'plain-service',
      client_secret: secret('plain-service'),
    });

    expect(response.status).toBe(200);
    expect(await introspect(accessToken)).toEqual({ active: false });
  });

  it("keeps another client's tokens", async () => {
    const { accessToken, refreshToken } = await obtainTokens();

    await revokeWithClient('other-app', refreshToken);
    await revokeWithClient('other-app', accessToken);

    expect((await introspect(accessToken)).active).toBe(true);
    expect((await introspect(refreshToken)).active).toBe(true);
    const { response } = await refresh(refreshToken);
    expect(response.status).toBe(200);
  });

  it('revokes an access token with the refresh_token hint', async () => {
    const { accessToken, refreshToken } = await obtainTokens();

    await revokeWithClient('web-app', accessToken, 'refresh_token');

    expect(await introspect(accessToken)).toEqual({ active: false });
    expect((await introspect(refreshToken)).active).toBe(true);
  });

  it('revokes a refresh token with the access_token hint', async () => {
    const { refreshToken } = await obtainTokens();

    await revokeWithClient('web-app', refreshToken, 'access_token');

    const { response, body } = await refresh(refreshToken);
    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });

  it('rejects GET with 405', async () => {
    const response = await fetch(`${server.url}/revoke`);

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});

describe('introspect endpoint', () => {
  it('rejects a client without permission', async () => {
    const { accessToken } = await obtainTokens();

    const { response, text } = await postForm(
      '/introspect',
      { token: accessToken },
      basic('web-app'),
    );

    expect(response.status).toBe(403);
    expect(JSON.parse(text)).toMatchObject({ error: 'unauthorized_client' });
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('reports an error to oauth4webapi without permission', async () => {
    const client = { client_id: 'plain-service' };
    const response = await oauth.introspectionRequest(
      authorizationServer,
      client,
      oauth.ClientSecretPost(secret('plain-service')),
      'anything',
      { [oauth.allowInsecureRequests]: true },
    );

    const error = await oauth
      .processIntrospectionResponse(authorizationServer, client, response)
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(oauth.ResponseBodyError);
    expect((error as oauth.ResponseBodyError).error).toBe('unauthorized_client');
    expect((error as oauth.ResponseBodyError).status).toBe(403);
  });

  it('returns no-store JSON', async () => {
    const { response, text } = await postForm(
      '/introspect',
      { token: 'not-a-token' },
      basic('resource-server'),
    );

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(JSON.parse(text)).toEqual({ active: false });
  });

  it('describes a token signed with the server key', async () => {
    const token = await signLikeServer({});

    expect((await introspect(token)).active).toBe(true);
  });

  it('reports an expired token inactive', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signLikeServer({ iat: now - 120, exp: now - 60 });

    expect(await introspect(token)).toEqual({ active: false });
  });

  it('reports an unpublished kid inactive', async () => {
    const token = await signLikeServer({}, 'retired-key');

    expect(await introspect(token)).toEqual({ active: false });
  });

  it('reports a rotated refresh token inactive', async () => {
    const { refreshToken } = await obtainTokens();
    await refresh(refreshToken);
    // The server compares whole seconds, so the token is inactive from the next second on.
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    expect(await introspect(refreshToken)).toEqual({ active: false });
  });
});
