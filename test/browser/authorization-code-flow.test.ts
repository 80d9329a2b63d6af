/**
 * The whole authorization code flow in a real browser: oauth4webapi builds the authorization
 * URL with PKCE and state, headless Chromium signs in as the demo user and consents on the
 * server's own pages, and the library redeems the code, checks `iss`, `state` and the ID
 * token's claims, refreshes, and the tokens verify with jose against the JWKS.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.ts';
import { startCallbackListener, type CallbackListener } from '../support/callback-listener.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';

const USERNAME = 'demo';
const PASSWORD = 'correct horse battery staple';
const client: oauth.Client = { client_id: 'demo-spa' };
const insecure = { [oauth.allowInsecureRequests]: true };

let table: TestTable;
let server: TestServer;
let browser: Browser;
let listener: CallbackListener;
let authorizationServer: oauth.AuthorizationServer;

beforeAll(async () => {
  table = await startTestTable();
  server = await startServer({
    DYNAMODB_ENDPOINT: table.endpoint,
    TABLE_NAME: TEST_TABLE,
    DEMO_USERNAME: USERNAME,
    DEMO_PASSWORD: PASSWORD,
  });
  browser = await launchBrowser();
  listener = await startCallbackListener();

  const issuer = new URL(server.url);
  // OpenID Connect discovery lists the ID token algorithms, which oauth4webapi checks.
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure });
  authorizationServer = await oauth.processDiscoveryResponse(issuer, response);
});

afterAll(async () => {
  await browser?.close();
  await listener?.close();
  await server?.stop();
  await table?.close();
});

interface AuthorizationAttempt {
  url: string;
  state: string;
  codeVerifier: string;
}

async function newAuthorizationUrl(scope: string): Promise<AuthorizationAttempt> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(String(authorizationServer.authorization_endpoint));
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', listener.redirectUri);
  url.searchParams.set('scope', scope);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return { url: url.href, state, codeVerifier };
}

async function redeem(callback: URL, attempt: AuthorizationAttempt) {
  const parameters = oauth.validateAuthResponse(authorizationServer, client, callback, attempt.state);
  const response = await oauth.authorizationCodeGrantRequest(
    authorizationServer,
    client,
    oauth.None(),
    parameters,
    listener.redirectUri,
    attempt.codeVerifier,
    insecure,
  );
  return oauth.processAuthorizationCodeResponse(authorizationServer, client, response);
}

async function verifyAccessToken(token: string) {
  const jwks = createRemoteJWKSet(new URL(String(authorizationServer.jwks_uri)));
  const { payload } = await jwtVerify(token, jwks, {
    issuer: server.url,
    typ: 'at+jwt',
    algorithms: ['ES256'],
  });
  return payload;
}

describe('authorization code flow in a browser', () => {
  let context: BrowserContext;

  it('signs in, consents, redeems and refreshes', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const attempt = await newAuthorizationUrl('openid profile api:read');
    const callback = listener.nextCallback();

    await page.goto(attempt.url);
    await page.getByLabel('Username').fill(USERNAME);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: /sign in/i }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    const tokens = await redeem(await callback, attempt);

    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('openid profile api:read');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const claims = await verifyAccessToken(tokens.access_token);
    expect(claims.client_id).toBe('demo-spa');
    expect(claims.sub).toMatch(/^[0-9a-f-]{36}$/);
    const idTokenClaims = oauth.getValidatedIdTokenClaims(tokens);
    expect(idTokenClaims?.sub).toBe(claims.sub);
    expect(idTokenClaims?.aud).toBe('demo-spa');
    expect(idTokenClaims?.amr).toEqual(['pwd']);

    const refreshResponse = await oauth.refreshTokenGrantRequest(
      authorizationServer,
      client,
      oauth.None(),
      String(tokens.refresh_token),
      insecure,
    );
    const refreshed = await oauth.processRefreshTokenResponse(
      authorizationServer,
      client,
      refreshResponse,
    );
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const refreshedClaims = await verifyAccessToken(refreshed.access_token);
    expect(refreshedClaims.sub).toBe(claims.sub);
    const refreshedIdTokenClaims = oauth.getValidatedIdTokenClaims(refreshed);
    expect(refreshedIdTokenClaims?.sub).toBe(claims.sub);
    expect(refreshedIdTokenClaims?.auth_time).toBe(idTokenClaims?.auth_time);
  });

  it('skips login and consent when signed in', async () => {
    const page = await context.newPage();
    const attempt = await newAuthorizationUrl('openid api:read');
    const callback = listener.nextCallback();

    await page.goto(attempt.url);
    const tokens = await redeem(await callback, attempt);

    expect(tokens.scope).toBe('openid api:read');
    await context.close();
  });
});
