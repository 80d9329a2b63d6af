/**
 * OpenID Connect with real relying party libraries, whose validators are strict. oauth4webapi
 * and openid-client discover the server and check the ID token of the code flow: nonce,
 * at_hash, and the signature for ES256 and RS256 clients. They also read the UserInfo endpoint
 * and build the logout URL. The tests' HTTP user agent signs in on the server's pages.
 */
import * as oauth from 'oauth4webapi';
import * as openidClient from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserAgent, type UserCredentials } from '../support/authorization-flow.ts';
import { registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const LOGGED_OUT = 'https://app.example.com/logged-out';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };
const SECRETS: Record<string, string> = {
  'es-app': 'es-app-secret-0123456789',
  'rs-app': 'rs-app-secret-0123456789',
};
const insecure = { [oauth.allowInsecureRequests]: true };

let table: TestTable;
let server: TestServer;
let aliceId: string;
let authorizationServer: oauth.AuthorizationServer;

beforeAll(async () => {
  table = await startTestTable();
  const client = {
    tokenEndpointAuthMethod: 'client_secret_basic' as const,
    grantTypes: ['authorization_code' as const, 'refresh_token' as const],
    responseTypes: ['code' as const],
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [LOGGED_OUT],
    scopes: ['openid', 'profile', 'email', 'api:read'],
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
  aliceId = await createUser(table.endpoint, ALICE.username, ALICE.password, {
    name: 'Alice Example',
    email: 'alice@example.com',
    emailVerified: false,
  });
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });

  const issuer = new URL(server.url);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure });
  authorizationServer = await oauth.processDiscoveryResponse(issuer, response);
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

interface Attempt {
  state: string;
  nonce: string;
  codeVerifier: string;
  callback: URL;
  browser: UserAgent;
}

/** Signs Alice in through a new browser and returns the callback URL with its checks. */
async function authorize(client: oauth.Client, scope: string): Promise<Attempt> {
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const browser = new UserAgent(server.url);
  const { callback } = await browser.obtainCode(
    {
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
      scope,
      state,
      nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    },
    ALICE,
  );
  return { state, nonce, codeVerifier, callback, browser };
}

async function redeem(client: oauth.Client, attempt: Attempt, expectedNonce = attempt.nonce) {
  const parameters = oauth.validateAuthResponse(
    authorizationServer,
    client,
    attempt.callback,
    attempt.state,
  );
  const response = await oauth.authorizationCodeGrantRequest(
    authorizationServer,
    client,
    oauth.ClientSecretBasic(SECRETS[client.client_id] ?? ''),
    parameters,
    REDIRECT_URI,
    attempt.codeVerifier,
    insecure,
  );
  const tokens = await oauth.processAuthorizationCodeResponse(
    authorizationServer,
    client,
    response,
    { expectedNonce, requireIdToken: true },
  );
  // The code flow's checks leave out the signature, which this verifies against the JWKS.
  await oauth.validateApplicationLevelSignature(authorizationServer, response, insecure);
  return tokens;
}

async function readUserinfo(client: oauth.Client, accessToken: string) {
  const response = await oauth.userInfoRequest(authorizationServer, client, accessToken, insecure);
  return oauth.processUserInfoResponse(authorizationServer, client, aliceId, response);
}

describe('oauth4webapi › ID token', () => {
  it('validates ES256 ID token with nonce', async () => {
    const client: oauth.Client = { client_id: 'es-app' };
    const attempt = await authorize(client, 'openid profile');

    const tokens = await redeem(client, attempt);

    const claims = oauth.getValidatedIdTokenClaims(tokens);
    expect(claims?.sub).toBe(aliceId);
    expect(claims?.nonce).toBe(attempt.nonce);
    expect(claims?.aud).toBe('es-app');
    expect(claims?.auth_time).toEqual(expect.any(Number));
  });

  it('validates RS256 ID token of RS256 client', async () => {
    const client: oauth.Client = { client_id: 'rs-app', id_token_signed_response_alg: 'RS256' };
    const attempt = await authorize(client, 'openid');

    const tokens = await redeem(client, attempt);

    expect(oauth.getValidatedIdTokenClaims(tokens)?.sub).toBe(aliceId);
  });

  it('rejects ID token of other nonce', async () => {
    const client: oauth.Client = { client_id: 'es-app' };
    const attempt = await authorize(client, 'openid');

    const error = await redeem(client, attempt, 'another-nonce').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(oauth.OperationProcessingError);
    expect((error as oauth.OperationProcessingError).message).toMatch(/nonce/);
  });

  it('validates refreshed ID token', async () => {
    const client: oauth.Client = { client_id: 'rs-app', id_token_signed_response_alg: 'RS256' };
    const tokens = await redeem(client, await authorize(client, 'openid'));

    const response = await oauth.refreshTokenGrantRequest(
      authorizationServer,
      client,
      oauth.ClientSecretBasic(SECRETS['rs-app'] ?? ''),
      String(tokens.refresh_token),
      insecure,
    );
    const refreshed = await oauth.processRefreshTokenResponse(
      authorizationServer,
      client,
      response,
    );

    expect(oauth.getValidatedIdTokenClaims(refreshed)?.sub).toBe(aliceId);
  });
});

describe('oauth4webapi › userinfo', () => {
  it('reads claims of granted scopes', async () => {
    const client: oauth.Client = { client_id: 'es-app' };
    const tokens = await redeem(client, await authorize(client, 'openid profile email'));

    const claims = await readUserinfo(client, tokens.access_token);

    expect(claims).toEqual({
      sub: aliceId,
      name: 'Alice Example',
      email: 'alice@example.com',
      email_verified: false,
    });
  });

  it('surfaces insufficient_scope challenge', async () => {
    const client: oauth.Client = { client_id: 'es-app' };
    const attempt = await authorize(client, 'profile api:read');
    const parameters = oauth.validateAuthResponse(
      authorizationServer,
      client,
      attempt.callback,
      attempt.state,
    );
    const response = await oauth.authorizationCodeGrantRequest(
      authorizationServer,
      client,
      oauth.ClientSecretBasic(SECRETS['es-app'] ?? ''),
      parameters,
      REDIRECT_URI,
      attempt.codeVerifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(
      authorizationServer,
      client,
      response,
    );

    const error = await readUserinfo(client, tokens.access_token).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = error as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(403);
    expect(challenge.cause[0]?.scheme).toBe('bearer');
    expect(challenge.cause[0]?.parameters.error).toBe('insufficient_scope');
    expect(challenge.cause[0]?.parameters.scope).toBe('openid');
  });

  it('surfaces invalid_token challenge', async () => {
    const client: oauth.Client = { client_id: 'es-app' };
    const tokens = await redeem(client, await authorize(client, 'openid'));
    const [header, payload] = tokens.access_token.split('.');

    const error = await readUserinfo(client, `${header}.${payload}.AAAA`).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = error as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0]?.parameters.error).toBe('invalid_token');
  });
});

describe('openid-client', () => {
  const configure = () =>
    openidClient.discovery(
      new URL(server.url),
      'es-app',
      undefined,
      openidClient.ClientSecretBasic(SECRETS['es-app'] ?? ''),
      { execute: [openidClient.allowInsecureRequests] },
    );

  it('signs in, reads userinfo and logs out', async () => {
    const configuration = await configure();
    const attempt = await authorize({ client_id: 'es-app' }, 'openid email');

    const tokens = await openidClient.authorizationCodeGrant(configuration, attempt.callback, {
      pkceCodeVerifier: attempt.codeVerifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    const userinfo = await openidClient.fetchUserInfo(
      configuration,
      tokens.access_token,
      claims?.sub ?? '',
    );
    const logoutUrl = openidClient.buildEndSessionUrl(configuration, {
      id_token_hint: String(tokens.id_token),
      post_logout_redirect_uri: LOGGED_OUT,
      state: 'after-logout',
    });
    const logout = await attempt.browser.get(logoutUrl.href);

    expect(claims?.sub).toBe(aliceId);
    expect(userinfo).toEqual({
      sub: aliceId,
      email: 'alice@example.com',
      email_verified: false,
    });
    expect(logoutUrl.href.startsWith(`${server.url}/logout?`)).toBe(true);
    expect(logout.response.status).toBe(302);
    expect(logout.response.headers.get('location')).toBe(`${LOGGED_OUT}?state=after-logout`);
    expect(attempt.browser.cookie('oauth_session')).toBeUndefined();
  });
});
