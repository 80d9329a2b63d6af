/**
 * The UserInfo endpoint over HTTP: GET and POST with a bearer token from a real flow, and the
 * errors of RFC 6750 section 3 with their WWW-Authenticate challenges. An expired token, which
 * no request can obtain, is signed with the server's key read from the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../functions/oauth/access-token.ts';
import { UserAgent, type UserCredentials } from '../support/authorization-flow.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { openServerKeys } from '../support/server-keys.ts';
import { postToken } from '../support/token-requests.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };
const SECRET = 'web-app-secret-0123456789';
const FORM = 'application/x-www-form-urlencoded';

let table: TestTable;
let server: TestServer;
let aliceId: string;
let browser: UserAgent;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      clientId: 'web-app',
      secret: SECRET,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['authorization_code', 'client_credentials'],
      responseTypes: ['code'],
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'profile', 'email', 'api:read'],
      skipConsent: true,
    },
  ]);
  aliceId = await createUser(table.endpoint, ALICE.username, ALICE.password, {
    name: 'Alice Example',
    email: 'alice@example.com',
    emailVerified: true,
  });
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
  browser = new UserAgent(server.url);
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

/** Runs the flow as Alice for the scope and returns the access token. */
async function accessTokenFor(scope: string): Promise<string> {
  const { code } = await browser.obtainCode(
    {
      response_type: 'code',
      client_id: 'web-app',
      redirect_uri: REDIRECT_URI,
      scope,
      state: 'userinfo-test',
    },
    ALICE,
  );
  const { body } = await postToken(
    server.url,
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
    { authorization: basicAuthorization('web-app', SECRET) },
  );
  return String(body.access_token);
}

async function userinfo(init: RequestInit = {}, query = '') {
  const response = await fetch(`${server.url}/userinfo${query}`, init);
  const text = await response.text();
  return { response, body: JSON.parse(text) as Record<string, unknown> };
}

function bearer(token: string): RequestInit {
  return { headers: { authorization: `Bearer ${token}` } };
}

describe('userinfo › success', () => {
  it('returns claims with GET', async () => {
    const token = await accessTokenFor('openid profile email');

    const { response, body } = await userinfo(bearer(token));

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(body).toEqual({
      sub: aliceId,
      name: 'Alice Example',
      email: 'alice@example.com',
      email_verified: true,
    });
  });

  it('returns only claims of granted scopes', async () => {
    const token = await accessTokenFor('openid profile');

    const { body } = await userinfo(bearer(token));

    expect(body).toEqual({ sub: aliceId, name: 'Alice Example' });
  });

  it('returns claims with POST form token', async () => {
    const token = await accessTokenFor('openid');

    const { response, body } = await userinfo({
      method: 'POST',
      headers: { 'content-type': FORM },
      body: new URLSearchParams({ access_token: token }).toString(),
    });

    expect(response.status).toBe(200);
    expect(body).toEqual({ sub: aliceId });
  });

  it('returns claims with POST header token', async () => {
    const token = await accessTokenFor('openid');

    const { response, body } = await userinfo({ method: 'POST', ...bearer(token) });

    expect(response.status).toBe(200);
    expect(body.sub).toBe(aliceId);
  });

  it('allows any origin', async () => {
    const token = await accessTokenFor('openid');

    const { response } = await userinfo({
      headers: { authorization: `Bearer ${token}`, origin: 'https://app.example.com' },
    });

    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('userinfo › errors', () => {
  it('answers missing token with bare challenge', async () => {
    const { response, body } = await userinfo();

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(body.error).toBe('invalid_token');
  });

  it('rejects token in query', async () => {
    const token = await accessTokenFor('openid');

    const { response, body } = await userinfo({}, `?access_token=${token}`);

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_request');
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer error="invalid_request", error_description="/);
    expect(challenge).toContain('The access token must not be sent in the query.');
  });

  it('rejects token in header and body', async () => {
    const token = await accessTokenFor('openid');

    const { response, body } = await userinfo({
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': FORM },
      body: new URLSearchParams({ access_token: token }).toString(),
    });

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });

  it('rejects token without openid', async () => {
    const token = await accessTokenFor('profile api:read');

    const { response, body } = await userinfo(bearer(token));

    expect(response.status).toBe(403);
    expect(body.error).toBe('insufficient_scope');
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", ' +
        'error_description="The access token lacks the openid scope.", scope="openid"',
    );
  });

  it('rejects expired token', async () => {
    await accessTokenFor('openid');
    const keys = openServerKeys(table.endpoint);
    const issuedAt = Math.floor(Date.now() / 1000) - 7200;
    const { token } = await signAccessToken(
      {
        issuer: server.url,
        subject: aliceId,
        clientId: 'web-app',
        audience: server.url,
        scopes: ['openid'],
        issuedAt,
        lifetimeSeconds: 3600,
      },
      await keys.signingKeys.current(),
    );
    keys.close();

    const { response, body } = await userinfo(bearer(token));

    expect(response.status).toBe(401);
    expect(body.error).toBe('invalid_token');
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", ' +
        'error_description="The access token is invalid, expired or revoked."',
    );
  });

  it('rejects tampered token', async () => {
    const token = await accessTokenFor('openid');
    const [header, , signature] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ sub: 'mallory', scope: 'openid' })).toString(
      'base64url',
    );

    const { response, body } = await userinfo(bearer(`${header}.${payload}.${signature}`));

    expect(response.status).toBe(401);
    expect(body.error).toBe('invalid_token');
  });

  it('rejects client credentials token', async () => {
    const { body: tokens } = await postToken(
      server.url,
      { grant_type: 'client_credentials', scope: 'openid' },
      { authorization: basicAuthorization('web-app', SECRET) },
    );

    const { response, body } = await userinfo(bearer(String(tokens.access_token)));

    expect(response.status).toBe(401);
    expect(body.error).toBe('invalid_token');
    expect(body.error_description).toBe('The user of this access token is disabled or deleted.');
  });
});
