/**
 * The authorization code grant at the token endpoint over HTTP. Codes come from a real flow
 * through /authorize and /login. A test that needs a code no flow can produce, such as an
 * expired one, writes it to the table directly.
 */
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecretValue } from '../../functions/oauth/grant-records.ts';
import { AuthorizationCodeRepository } from '../../functions/storage/authorization-code-repository.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { newPkcePair, UserAgent, type UserCredentials } from '../support/authorization-flow.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import {
  LOCAL_CREDENTIALS,
  startTestTable,
  TEST_REGION,
  TEST_TABLE,
  type TestTable,
} from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { registerPublicClients } from '../support/public-clients.ts';
import { postToken } from '../support/token-requests.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const OTHER_REDIRECT_URI = 'https://app.example.com/other-cb';
const SPA_REDIRECT_URI = 'https://spa.example.com/cb';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };

const SECRETS: Record<string, string> = {
  'web-app': 'web-app-secret-0123456789',
  'other-app': 'other-app-secret-0123456789',
  'no-refresh-app': 'no-refresh-secret-0123456789',
};

let table: TestTable;
let server: TestServer;
let aliceId: string;
let browser: UserAgent;

beforeAll(async () => {
  table = await startTestTable();
  const confidential = {
    tokenEndpointAuthMethod: 'client_secret_basic' as const,
    responseTypes: ['code' as const],
    redirectUris: [REDIRECT_URI, OTHER_REDIRECT_URI],
    scopes: ['openid', 'api:read'],
    skipConsent: true,
  };
  await registerClients(table.endpoint, [
    {
      ...confidential,
      clientId: 'web-app',
      secret: SECRETS['web-app'] ?? '',
      grantTypes: ['authorization_code', 'refresh_token'],
    },
    {
      ...confidential,
      clientId: 'other-app',
      secret: SECRETS['other-app'] ?? '',
      grantTypes: ['authorization_code', 'refresh_token'],
    },
    {
      ...confidential,
      clientId: 'no-refresh-app',
      secret: SECRETS['no-refresh-app'] ?? '',
      grantTypes: ['authorization_code'],
    },
  ]);
  await registerPublicClients(table.endpoint, [
    {
      clientId: 'spa',
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      redirectUris: [SPA_REDIRECT_URI],
      scopes: ['openid', 'api:read'],
      skipConsent: true,
    },
  ]);
  aliceId = await createUser(table.endpoint, ALICE.username, ALICE.password);
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
  browser = new UserAgent(server.url);
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

interface CodeRequest {
  clientId?: string;
  redirectUri?: string;
  /** The S256 challenge to send. Without it, the request uses no PKCE. */
  challenge?: string;
}

/** Runs the flow as Alice, who signs in on the first call, and returns the code. */
async function obtainCode({
  clientId = 'web-app',
  redirectUri = REDIRECT_URI,
  challenge,
}: CodeRequest = {}): Promise<string> {
  const parameters: Record<string, string> = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'api:read',
    state: 'code-grant-test',
  };
  if (challenge !== undefined) {
    parameters.code_challenge = challenge;
    parameters.code_challenge_method = 'S256';
  }
  const { code } = await browser.obtainCode(parameters, ALICE);
  return code;
}

/** Redeems a code as a confidential client with client_secret_basic. */
async function redeem(
  code: string,
  { clientId = 'web-app', redirectUri = REDIRECT_URI, verifier }: {
    clientId?: string;
    redirectUri?: string;
    verifier?: string;
  } = {},
) {
  const form: Record<string, string> = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
  };
  if (verifier !== undefined) form.code_verifier = verifier;
  const authorization = basicAuthorization(clientId, SECRETS[clientId] ?? '');
  return postToken(server.url, form, { authorization });
}

async function refresh(refreshToken: string, clientId = 'web-app') {
  const authorization = basicAuthorization(clientId, SECRETS[clientId] ?? '');
  return postToken(
    server.url,
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    { authorization },
  );
}

describe('authorization code grant › success', () => {
  it('issues tokens for the user', async () => {
    const { verifier, challenge } = newPkcePair();
    const code = await obtainCode({ challenge });

    const { response, body } = await redeem(code, { verifier });

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body.token_type).toBe('Bearer');
    expect(body.scope).toBe('api:read');
    expect(body.refresh_token).toEqual(expect.any(String));
    const claims = decodeJwt(String(body.access_token));
    expect(claims.sub).toBe(aliceId);
    expect(claims.client_id).toBe('web-app');
    expect(claims.iss).toBe(server.url);
    expect(claims.scope).toBe('api:read');
  });

  it('omits refresh_token without the refresh grant', async () => {
    const { verifier, challenge } = newPkcePair();
    const code = await obtainCode({ clientId: 'no-refresh-app', challenge });

    const { response, body } = await redeem(code, { clientId: 'no-refresh-app', verifier });

    expect(response.status).toBe(200);
    expect(body.refresh_token).toBeUndefined();
    expect(decodeJwt(String(body.access_token)).sub).toBe(aliceId);
  });

  it('accepts a confidential client without PKCE', async () => {
    const code = await obtainCode();

    const { response, body } = await redeem(code);

    expect(response.status).toBe(200);
    expect(decodeJwt(String(body.access_token)).sub).toBe(aliceId);
  });

  it('accepts a public client with client_id only', async () => {
    const { verifier, challenge } = newPkcePair();
    const code = await obtainCode({ clientId: 'spa', redirectUri: SPA_REDIRECT_URI, challenge });

    const { response, body } = await postToken(server.url, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: SPA_REDIRECT_URI,
      client_id: 'spa',
      code_verifier: verifier,
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(decodeJwt(String(body.access_token)).client_id).toBe('spa');
  });
});

describe('authorization code grant › PKCE', () => {
  it('rejects a wrong verifier', async () => {
    const { challenge } = newPkcePair();
    const code = await obtainCode({ challenge });

    const { response, body } = await redeem(code, { verifier: newPkcePair().verifier });

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toMatch(/code_verifier does not match the code_challenge/);
  });

  it('rejects a missing verifier', async () => {
    const { challenge } = newPkcePair();
    const code = await obtainCode({ challenge });

    const { response, body } = await redeem(code);

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toMatch(/code_verifier is missing/);
  });

  it('rejects a verifier without a challenge', async () => {
    const code = await obtainCode();

    const { response, body } = await redeem(code, { verifier: newPkcePair().verifier });

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toMatch(/authorization request had no code_challenge/);
  });

  it('rejects a malformed verifier', async () => {
    const { challenge } = newPkcePair();
    const code = await obtainCode({ challenge });

    const { response, body } = await redeem(code, { verifier: 'short' });

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/43 to 128 unreserved characters/);
  });

  it('keeps the code after a wrong verifier', async () => {
    const { verifier, challenge } = newPkcePair();
    const code = await obtainCode({ challenge });
    const failed = await redeem(code, { verifier: newPkcePair().verifier });

    const { response } = await redeem(code, { verifier });

    expect(failed.response.status).toBe(400);
    expect(response.status).toBe(200);
  });
});

describe('authorization code grant › binding', () => {
  it('rejects a code issued to another client', async () => {
    const code = await obtainCode();

    const { response, body } = await redeem(code, { clientId: 'other-app' });

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toMatch(/issued to another client/);
  });

  it('rejects another redirect_uri', async () => {
    const code = await obtainCode();

    const { response, body } = await redeem(code, { redirectUri: OTHER_REDIRECT_URI });

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toMatch(/redirect_uri differs/);
  });

  it('rejects a missing redirect_uri', async () => {
    const code = await obtainCode();
    const authorization = basicAuthorization('web-app', SECRETS['web-app'] ?? '');

    const { response, body } = await postToken(
      server.url,
      { grant_type: 'authorization_code', code },
      { authorization },
    );

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/redirect_uri parameter is missing/);
  });

  it('rejects an unknown code', async () => {
    const { response, body } = await redeem(randomBytes(32).toString('base64url'));

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toMatch(/invalid or expired/);
  });
});

describe('authorization code grant › expiry', () => {
  /** Writes a code for Alice and web-app straight into the table and returns the code. */
  async function storeCode(expiresInSeconds: number): Promise<string> {
    const documents = createDocumentClient({
      region: TEST_REGION,
      endpoint: table.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    const code = randomBytes(32).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    await new AuthorizationCodeRepository(documents, TEST_TABLE).saveCode({
      codeHash: hashSecretValue(code),
      clientId: 'web-app',
      redirectUri: REDIRECT_URI,
      userId: aliceId,
      scopes: ['api:read'],
      authTime: now - 5,
      amr: ['pwd'],
      expiresAt: now + expiresInSeconds,
    });
    documents.destroy();
    return code;
  }

  it('accepts a stored code before its expiry', async () => {
    const code = await storeCode(60);

    const { response, body } = await redeem(code);

    expect(response.status).toBe(200);
    expect(decodeJwt(String(body.access_token)).sub).toBe(aliceId);
  });

  it('rejects an expired code', async () => {
    const code = await storeCode(-1);

    const { response, body } = await redeem(code);

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toBe('The authorization code is invalid or expired.');
  });
});

describe('authorization code grant › replay', () => {
  it('rejects a replayed code', async () => {
    const code = await obtainCode();
    const first = await redeem(code);

    const { response, body } = await redeem(code);

    expect(first.response.status).toBe(200);
    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toMatch(/already used/);
  });

  it('revokes the refresh token of the first redemption', async () => {
    const code = await obtainCode();
    const first = await redeem(code);
    await redeem(code);

    const { response, body } = await refresh(String(first.body.refresh_token));

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toMatch(/invalid, expired or revoked/);
  });

  it('keeps the refresh token without a replay', async () => {
    const code = await obtainCode();
    const first = await redeem(code);

    const { response } = await refresh(String(first.body.refresh_token));

    expect(response.status).toBe(200);
  });
});

describe('authorization code grant › concurrency', () => {
  it('redeems a code once among 20 parallel requests', async () => {
    const code = await obtainCode();

    const results = await Promise.all(Array.from({ length: 20 }, () => redeem(code)));

    const succeeded = results.filter(({ response }) => response.status === 200);
    const failed = results.filter(({ response }) => response.status !== 200);
    expect(succeeded).toHaveLength(1);
    expect(failed.map(({ response }) => response.status)).toEqual(Array(19).fill(400));
    expect(failed.map(({ body }) => body.error)).toEqual(Array(19).fill('invalid_grant'));
  });

  it('revokes the winner after parallel replays', async () => {
    const code = await obtainCode();
    const results = await Promise.all(Array.from({ length: 20 }, () => redeem(code)));
    const winner = results.find(({ response }) => response.status === 200);

    const { response, body } = await refresh(String(winner?.body.refresh_token));

    expect(winner?.body.refresh_token).toEqual(expect.any(String));
    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });
});
