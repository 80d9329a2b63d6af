/**
 * The resource owner password credentials grant over HTTP: off for clients that do not list
 * it, and for one that does, tokens for the right password, the login page's failure message
 * otherwise, and its rate limit after 5 failures.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { postToken } from '../support/token-requests.ts';
import { createUser } from '../support/users.ts';

const LEGACY_APP = { id: 'legacy-app', secret: 'legacy-app-secret-0123456789' };
const MODERN_APP = { id: 'modern-app', secret: 'modern-app-secret-0123456789' };
const ALICE = { username: 'alice', password: 'alice-password-0123' };
const CAROL = { username: 'carol', password: 'carol-password-0123' };
const WRONG_CREDENTIALS = 'The username or password is incorrect.';
/** The server's fixed window for counting failed logins, in seconds. */
const RATE_LIMIT_WINDOW_SECONDS = 15 * 60;

let table: TestTable;
let server: TestServer;
let aliceId: string;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      clientId: LEGACY_APP.id,
      secret: LEGACY_APP.secret,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['password', 'refresh_token'],
      scopes: ['profile:read', 'profile:write'],
    },
    {
      clientId: MODERN_APP.id,
      secret: MODERN_APP.secret,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      scopes: ['profile:read'],
    },
  ]);
  aliceId = await createUser(table.endpoint, ALICE.username, ALICE.password);
  await createUser(table.endpoint, CAROL.username, CAROL.password);
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

function passwordGrant(
  credentials: { username: string; password: string },
  client = LEGACY_APP,
  extra: Record<string, string> = {},
) {
  return postToken(
    server.url,
    { grant_type: 'password', ...credentials, ...extra },
    { authorization: basicAuthorization(client.id, client.secret) },
  );
}

/** Waits, if needed, until the current rate limit window has `neededSeconds` left. */
async function waitForRoomInWindow(neededSeconds: number): Promise<void> {
  const left = RATE_LIMIT_WINDOW_SECONDS - ((Date.now() / 1000) % RATE_LIMIT_WINDOW_SECONDS);
  if (left < neededSeconds) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 100));
}

describe('password grant disabled', () => {
  it('rejects client without the grant', async () => {
    const { response, body } = await passwordGrant(ALICE, MODERN_APP);

    expect(response.status).toBe(400);
    expect(body.error).toBe('unauthorized_client');
    expect(body.error_description).toBe('The client may not use the password grant.');
  });
});

describe('password grant enabled', () => {
  it('issues tokens for right password', async () => {
    const { response, body } = await passwordGrant(ALICE, LEGACY_APP, { scope: 'profile:read' });

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body.token_type).toBe('Bearer');
    expect(body.scope).toBe('profile:read');
    expect(body.refresh_token).toEqual(expect.any(String));
    const claims = decodeJwt(String(body.access_token));
    expect(claims.sub).toBe(aliceId);
    expect(claims.client_id).toBe(LEGACY_APP.id);
  });

  it('refreshes its tokens', async () => {
    const { body } = await passwordGrant(ALICE);

    const refreshed = await postToken(
      server.url,
      { grant_type: 'refresh_token', refresh_token: String(body.refresh_token) },
      { authorization: basicAuthorization(LEGACY_APP.id, LEGACY_APP.secret) },
    );

    expect(refreshed.response.status).toBe(200);
    expect(decodeJwt(String(refreshed.body.access_token)).sub).toBe(aliceId);
  });

  it('rejects wrong password', async () => {
    const { response, body } = await passwordGrant({ ...ALICE, password: 'wrong-password' });

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toBe(WRONG_CREDENTIALS);
  });

  it('rejects unknown user the same way', async () => {
    const { response, body } = await passwordGrant({ username: 'mallory', password: 'anything1' });

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toBe(WRONG_CREDENTIALS);
  });

  it('rejects missing password', async () => {
    const { response, body } = await postToken(
      server.url,
      { grant_type: 'password', username: ALICE.username },
      { authorization: basicAuthorization(LEGACY_APP.id, LEGACY_APP.secret) },
    );

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toBe('The password parameter is missing.');
  });

  it('rate limits after 5 failures', async () => {
    await waitForRoomInWindow(10);
    for (let attempt = 0; attempt < 5; attempt++) {
      const { body } = await passwordGrant({ ...CAROL, password: `wrong-password-${attempt}` });
      expect(body.error_description).toBe(WRONG_CREDENTIALS);
    }

    const { response, body } = await passwordGrant(CAROL);

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toBe(
      'Too many failed sign-in attempts. Wait 15 minutes, then try again.',
    );
  });
});
