/**
 * The refresh token grant over HTTP: rotation on every use, the reuse grace period, scope
 * narrowing, and the binding of a token to its client. The server runs with a reuse grace
 * period of 1 second, so that one test can wait it out.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPkcePair, UserAgent, type UserCredentials } from '../support/authorization-flow.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { registerPublicClients } from '../support/public-clients.ts';
import { postToken } from '../support/token-requests.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const SPA_REDIRECT_URI = 'https://spa.example.com/cb';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };
const SCOPES = ['openid', 'api:read', 'api:write'];

/**
 * A wait past the reuse grace period of 1 second. The server compares whole seconds, so the
 * wait must be at least 2 seconds.
 */
const PAST_GRACE_MILLISECONDS = 2_500;

const SECRETS: Record<string, string> = {
  'web-app': 'web-app-secret-0123456789',
  'other-app': 'other-app-secret-0123456789',
};

let table: TestTable;
let server: TestServer;
let aliceId: string;
let browser: UserAgent;

beforeAll(async () => {
  table = await startTestTable();
  const confidential = {
    tokenEndpointAuthMethod: 'client_secret_basic' as const,
    grantTypes: ['authorization_code' as const, 'refresh_token' as const],
    responseTypes: ['code' as const],
    redirectUris: [REDIRECT_URI],
    scopes: SCOPES,
    skipConsent: true,
  };
  await registerClients(table.endpoint, [
    { ...confidential, clientId: 'web-app', secret: SECRETS['web-app'] ?? '' },
    { ...confidential, clientId: 'other-app', secret: SECRETS['other-app'] ?? '' },
  ]);
  await registerPublicClients(table.endpoint, [
    {
      clientId: 'spa',
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      redirectUris: [SPA_REDIRECT_URI],
      scopes: SCOPES,
      skipConsent: true,
    },
  ]);
  aliceId = await createUser(table.endpoint, ALICE.username, ALICE.password);
  server = await startServer({
    DYNAMODB_ENDPOINT: table.endpoint,
    TABLE_NAME: TEST_TABLE,
    REFRESH_TOKEN_REUSE_GRACE_SECONDS: '1',
  });
  browser = new UserAgent(server.url);
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

function clientAuthorization(clientId: string): Record<string, string> {
  return { authorization: basicAuthorization(clientId, SECRETS[clientId] ?? '') };
}

/** Runs the flow as Alice, redeems the code as `web-app` and returns the refresh token. */
async function obtainRefreshToken(scope = SCOPES.join(' ')): Promise<string> {
  const { code } = await browser.obtainCode(
    { response_type: 'code', client_id: 'web-app', redirect_uri: REDIRECT_URI, scope },
    ALICE,
  );
  const { body } = await postToken(
    server.url,
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
    clientAuthorization('web-app'),
  );
  if (typeof body.refresh_token !== 'string') {
    throw new Error(`The code redemption returned no refresh token: ${JSON.stringify(body)}`);
  }
  return body.refresh_token;
}

async function refresh(
  refreshToken: string,
  { clientId = 'web-app', scope }: { clientId?: string; scope?: string } = {},
) {
  const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
  if (scope !== undefined) form.scope = scope;
  return postToken(server.url, form, clientAuthorization(clientId));
}

describe('refresh › rotation', () => {
  it('returns a new refresh token', async () => {
    const original = await obtainRefreshToken();

    const { response, body } = await refresh(original);

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(body.refresh_token).not.toBe(original);
    expect(body.scope).toBe(SCOPES.join(' '));
    expect(decodeJwt(String(body.access_token)).sub).toBe(aliceId);
  });

  it('accepts the successor', async () => {
    const original = await obtainRefreshToken();
    const successor = String((await refresh(original)).body.refresh_token);

    const { response, body } = await refresh(successor);

    expect(response.status).toBe(200);
    expect(body.refresh_token).not.toBe(successor);
    expect(body.refresh_token).not.toBe(original);
  });

  it('returns the same successor on retry', async () => {
    const original = await obtainRefreshToken();
    const first = await refresh(original);

    const retry = await refresh(original);

    expect(retry.response.status).toBe(200);
    expect(retry.body.refresh_token).toBe(first.body.refresh_token);
  });

  it('revokes the family on late reuse', async () => {
    const original = await obtainRefreshToken();
    const successor = String((await refresh(original)).body.refresh_token);
    await new Promise((resolve) => setTimeout(resolve, PAST_GRACE_MILLISECONDS));

    const reuse = await refresh(original);
    const afterReuse = await refresh(successor);

    expect(reuse.response.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    expect(reuse.body.error_description).toMatch(/refresh token was already used/);
    expect(afterReuse.response.status).toBe(400);
    expect(afterReuse.body.error).toBe('invalid_grant');
    expect(afterReuse.body.error_description).toMatch(/invalid, expired or revoked/);
  });
});

describe('refresh › scope', () => {
  it('narrows the scope on request', async () => {
    const original = await obtainRefreshToken();

    const { response, body } = await refresh(original, { scope: 'api:read' });

    expect(response.status).toBe(200);
    expect(body.scope).toBe('api:read');
    expect(decodeJwt(String(body.access_token)).scope).toBe('api:read');
  });

  it('keeps the original grant after narrowing', async () => {
    const original = await obtainRefreshToken();
    const narrowed = await refresh(original, { scope: 'api:read' });

    const { response, body } = await refresh(String(narrowed.body.refresh_token));

    expect(response.status).toBe(200);
    expect(body.scope).toBe(SCOPES.join(' '));
  });

  it('rejects a scope beyond the grant', async () => {
    const original = await obtainRefreshToken('api:read');

    const { response, body } = await refresh(original, { scope: 'api:read api:write' });

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_scope');
    expect(body.error_description).toMatch(/exceeds the original grant: api:write/);
  });

  it('keeps the token after a wider scope', async () => {
    const original = await obtainRefreshToken('api:read');
    await refresh(original, { scope: 'api:write' });

    const { response, body } = await refresh(original);

    expect(response.status).toBe(200);
    expect(body.scope).toBe('api:read');
  });
});

describe('refresh › client binding', () => {
  it("rejects another client's token", async () => {
    const original = await obtainRefreshToken();

    const { response, body } = await refresh(original, { clientId: 'other-app' });

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toMatch(/issued to another client/);
  });

  it("keeps the token after another client's attempt", async () => {
    const original = await obtainRefreshToken();
    await refresh(original, { clientId: 'other-app' });

    const { response } = await refresh(original);

    expect(response.status).toBe(200);
  });

  it('rejects an unknown token', async () => {
    const { response, body } = await refresh('unknown-family.unknown-secret');

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toMatch(/invalid, expired or revoked/);
  });

  it('rejects a missing token', async () => {
    const { response, body } = await postToken(
      server.url,
      { grant_type: 'refresh_token' },
      clientAuthorization('web-app'),
    );

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/refresh_token parameter is missing/);
  });
});

describe('refresh › public client', () => {
  async function obtainPublicRefreshToken(): Promise<string> {
    const { verifier, challenge } = newPkcePair();
    const { code } = await browser.obtainCode(
      {
        response_type: 'code',
        client_id: 'spa',
        redirect_uri: SPA_REDIRECT_URI,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
      ALICE,
    );
    const { body } = await postToken(server.url, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: SPA_REDIRECT_URI,
      client_id: 'spa',
      code_verifier: verifier,
    });
    return String(body.refresh_token);
  }

  it('refreshes with client_id only', async () => {
    const original = await obtainPublicRefreshToken();

    const { response, body } = await postToken(server.url, {
      grant_type: 'refresh_token',
      refresh_token: original,
      client_id: 'spa',
    });

    expect(response.status).toBe(200);
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(body.refresh_token).not.toBe(original);
    expect(decodeJwt(String(body.access_token)).client_id).toBe('spa');
  });

  it('rejects a refresh without client_id', async () => {
    const original = await obtainPublicRefreshToken();

    const { response, body } = await postToken(server.url, {
      grant_type: 'refresh_token',
      refresh_token: original,
    });

    expect(response.status).toBe(401);
    expect(body.error).toBe('invalid_client');
  });
});
