/**
 * ID tokens over HTTP. The token endpoint adds one, signed with the client's algorithm, to the
 * code and refresh responses of a grant with the `openid` scope. It verifies against the JWKS
 * and has the claims of OpenID Connect Core section 2.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPkcePair, UserAgent, type UserCredentials } from '../support/authorization-flow.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { postToken } from '../support/token-requests.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };
const SECRETS: Record<string, string> = {
  'es-app': 'es-app-secret-0123456789',
  'rs-app': 'rs-app-secret-0123456789',
};

let table: TestTable;
let server: TestServer;
let aliceId: string;
let browser: UserAgent;

beforeAll(async () => {
  table = await startTestTable();
  const client = {
    tokenEndpointAuthMethod: 'client_secret_basic' as const,
    grantTypes: ['authorization_code' as const, 'refresh_token' as const],
    responseTypes: ['code' as const],
    redirectUris: [REDIRECT_URI],
    scopes: ['openid', 'profile', 'api:read'],
    skipConsent: true,
  };
  await registerClients(table.endpoint, [
    { ...client, clientId: 'es-app', secret: SECRETS['es-app'] ?? '' },
    {
      ...client,
      clientId: 'rs-app',
      secret: SECRETS['rs-app'] ?? '',
      idTokenSignedResponseAlg: 'RS256',
    },
  ]);
  aliceId = await createUser(table.endpoint, ALICE.username, ALICE.password);
  server = await startServer({
    DYNAMODB_ENDPOINT: table.endpoint,
    TABLE_NAME: TEST_TABLE,
    ID_TOKEN_LIFETIME_SECONDS: '600',
  });
  browser = new UserAgent(server.url);
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

/** Runs the flow as Alice and redeems the code; returns the token response's body. */
async function signInAndRedeem(clientId: string, scope: string, nonce?: string) {
  const { verifier, challenge } = newPkcePair();
  const parameters: Record<string, string> = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope,
    state: 'id-token-test',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  if (nonce !== undefined) parameters.nonce = nonce;
  const { code } = await browser.obtainCode(parameters, ALICE);

  const authorization = basicAuthorization(clientId, SECRETS[clientId] ?? '');
  const form = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  };
  const { response, body } = await postToken(server.url, form, { authorization });
  expect(response.status).toBe(200);
  return body;
}

async function verifyIdToken(idToken: string, clientId: string, algorithm: string) {
  const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks.json`));
  const { payload } = await jwtVerify(idToken, jwks, {
    issuer: server.url,
    audience: clientId,
    algorithms: [algorithm],
    typ: 'JWT',
  });
  return payload;
}

function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
}

describe('ID token › code grant', () => {
  it('issues ES256 ID token with nonce', async () => {
    const body = await signInAndRedeem('es-app', 'openid profile', 'nonce-es');

    const idToken = String(body.id_token);
    const claims = await verifyIdToken(idToken, 'es-app', 'ES256');
    expect(decodeProtectedHeader(idToken).alg).toBe('ES256');
    expect(claims.sub).toBe(aliceId);
    expect(claims.azp).toBe('es-app');
    expect(claims.nonce).toBe('nonce-es');
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.at_hash).toBe(atHash(String(body.access_token)));
    expect(Number(claims.exp) - Number(claims.iat)).toBe(600);
    expect(claims.auth_time).toBeLessThanOrEqual(Number(claims.iat));
  });

  it('issues RS256 ID token to RS256 client', async () => {
    const body = await signInAndRedeem('rs-app', 'openid', 'nonce-rs');

    const idToken = String(body.id_token);
    const claims = await verifyIdToken(idToken, 'rs-app', 'RS256');
    expect(decodeProtectedHeader(idToken).alg).toBe('RS256');
    expect(claims.nonce).toBe('nonce-rs');
    expect(claims.at_hash).toBe(atHash(String(body.access_token)));
  });

  it('omits nonce when request had none', async () => {
    const body = await signInAndRedeem('es-app', 'openid');

    const claims = await verifyIdToken(String(body.id_token), 'es-app', 'ES256');
    expect(claims).not.toHaveProperty('nonce');
  });

  it('omits ID token without openid', async () => {
    const body = await signInAndRedeem('es-app', 'api:read');

    expect(body).not.toHaveProperty('id_token');
  });
});

describe('ID token › refresh grant', () => {
  it('issues new ID token on refresh', async () => {
    const first = await signInAndRedeem('rs-app', 'openid api:read', 'nonce-refresh');
    const authorization = basicAuthorization('rs-app', SECRETS['rs-app'] ?? '');

    const { response, body } = await postToken(
      server.url,
      { grant_type: 'refresh_token', refresh_token: String(first.refresh_token) },
      { authorization },
    );

    expect(response.status).toBe(200);
    const original = await verifyIdToken(String(first.id_token), 'rs-app', 'RS256');
    const renewed = await verifyIdToken(String(body.id_token), 'rs-app', 'RS256');
    expect(renewed.sub).toBe(original.sub);
    expect(renewed.auth_time).toBe(original.auth_time);
    expect(renewed).not.toHaveProperty('nonce');
    expect(renewed.at_hash).toBe(atHash(String(body.access_token)));
  });
});
