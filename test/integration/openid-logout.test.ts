/**
 * RP-initiated logout over HTTP: /logout ends the browser session and returns to a registered
 * post-logout redirect URI with `state`, or shows the signed-out page. Without an ID token of
 * the signed-in user it asks first, and only a POST from its own page confirms.
 */
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIdToken } from '../../functions/oauth/id-token.ts';
import {
  errorPageMessage,
  UserAgent,
  type PageResponse,
  type UserCredentials,
} from '../support/authorization-flow.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { openServerKeys } from '../support/server-keys.ts';
import { postToken } from '../support/token-requests.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const LOGGED_OUT = 'https://app.example.com/logged-out';
const SECRET = 'web-app-secret-0123456789';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };
const BOB: UserCredentials = { username: 'bob', password: 'bob-password-0123456' };

let table: TestTable;
let server: TestServer;
let aliceId: string;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      clientId: 'web-app',
      secret: SECRET,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['authorization_code'],
      responseTypes: ['code'],
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [LOGGED_OUT],
      scopes: ['openid'],
      skipConsent: true,
    },
  ]);
  aliceId = await createUser(table.endpoint, ALICE.username, ALICE.password);
  await createUser(table.endpoint, BOB.username, BOB.password);
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

const CODE_REQUEST = {
  response_type: 'code',
  client_id: 'web-app',
  redirect_uri: REDIRECT_URI,
  scope: 'openid',
  state: 'logout-test',
};

/** Signs a user in with a browser of its own and returns the browser and the ID token. */
async function signIn(credentials: UserCredentials = ALICE) {
  const browser = new UserAgent(server.url);
  const { code } = await browser.obtainCode(CODE_REQUEST, credentials);
  const { body } = await postToken(
    server.url,
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
    { authorization: basicAuthorization('web-app', SECRET) },
  );
  return { browser, idToken: String(body.id_token) };
}

/** Checks with prompt=none whether the browser's session still signs it in. */
async function isSignedIn(browser: UserAgent): Promise<boolean> {
  const page = await browser.authorize({ ...CODE_REQUEST, prompt: 'none' });
  const location = new URL(page.response.headers.get('location') ?? '');
  return location.searchParams.has('code');
}

function logoutUrl(parameters: Record<string, string>): string {
  return `${server.url}/logout?${new URLSearchParams(parameters).toString()}`;
}

function sessionCookieCleared(page: PageResponse): boolean {
  return page.response.headers
    .getSetCookie()
    .some((cookie) => /^oauth_session=;/.test(cookie) && /Max-Age=0/.test(cookie));
}

function isConfirmationPage(page: PageResponse): boolean {
  return page.body.includes('<form method="post" action="/logout">');
}

describe('logout › with hint', () => {
  it('ends session and redirects with state', async () => {
    const { browser, idToken } = await signIn();

    const page = await browser.get(
      logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: LOGGED_OUT, state: 's 1' }),
    );

    expect(page.response.status).toBe(302);
    expect(page.response.headers.get('location')).toBe(`${LOGGED_OUT}?state=s+1`);
    expect(sessionCookieCleared(page)).toBe(true);
    expect(browser.cookie('oauth_session')).toBeUndefined();
    expect(await isSignedIn(browser)).toBe(false);
  });

  it('shows signed-out page without redirect', async () => {
    const { browser, idToken } = await signIn();
    const session = browser.cookie('oauth_session') ?? '';

    const page = await browser.get(logoutUrl({ id_token_hint: idToken }));

    expect(page.response.status).toBe(200);
    expect(page.body).toContain('<h1>You are signed out</h1>');
    expect(page.response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(page.response.headers.get('cache-control')).toBe('no-store');
    expect(sessionCookieCleared(page)).toBe(true);
    browser.setCookie('oauth_session', session);
    expect(await isSignedIn(browser)).toBe(false);
  });

  it('accepts expired hint', async () => {
    const { browser } = await signIn();
    const keys = openServerKeys(table.endpoint);
    const issuedAt = Math.floor(Date.now() / 1000) - 86_400;
    const expiredHint = await signIdToken(
      { issuer: server.url, subject: aliceId, clientId: 'web-app', issuedAt, lifetimeSeconds: 300 },
      await keys.signingKeys.current(),
    );
    keys.close();

    const page = await browser.get(
      logoutUrl({ id_token_hint: expiredHint, post_logout_redirect_uri: LOGGED_OUT }),
    );

    expect(page.response.status).toBe(302);
    expect(page.response.headers.get('location')).toBe(LOGGED_OUT);
    expect(await isSignedIn(browser)).toBe(false);
  });

  it('asks before ending another user session', async () => {
    const { idToken: aliceToken } = await signIn(ALICE);
    const { browser: bobBrowser } = await signIn(BOB);

    const page = await bobBrowser.get(logoutUrl({ id_token_hint: aliceToken }));

    expect(page.response.status).toBe(200);
    expect(isConfirmationPage(page)).toBe(true);
    expect(page.body).toContain('You are signed in as <strong>bob</strong>.');
    expect(await isSignedIn(bobBrowser)).toBe(true);
  });
});

describe('logout › confirmation', () => {
  const request = { client_id: 'web-app', post_logout_redirect_uri: LOGGED_OUT, state: 's2' };

  it('asks signed-in user without hint', async () => {
    const { browser } = await signIn();

    const page = await browser.get(logoutUrl(request));

    expect(page.response.status).toBe(200);
    expect(isConfirmationPage(page)).toBe(true);
    expect(page.body).toContain('<input type="hidden" name="state" value="s2">');
    expect(page.response.headers.get('set-cookie')).toBeNull();
    expect(await isSignedIn(browser)).toBe(true);
  });

  it('ends session after confirmation', async () => {
    const { browser } = await signIn();

    const page = await browser.postForm(
      `${server.url}/logout`,
      { ...request, confirm: 'yes' },
      { origin: server.url },
    );

    expect(page.response.status).toBe(303);
    expect(page.response.headers.get('location')).toBe(`${LOGGED_OUT}?state=s2`);
    expect(await isSignedIn(browser)).toBe(false);
  });

  it('asks again for confirmation from another site', async () => {
    const { browser } = await signIn();

    const page = await browser.postForm(
      `${server.url}/logout`,
      { ...request, confirm: 'yes' },
      { origin: 'https://evil.example.com' },
    );

    expect(page.response.status).toBe(200);
    expect(isConfirmationPage(page)).toBe(true);
    expect(await isSignedIn(browser)).toBe(true);
  });

  it('asks after POST without session cookie', async () => {
    const { idToken } = await signIn();
    const cookieless = new UserAgent(server.url);

    const page = await cookieless.postForm(`${server.url}/logout`, { id_token_hint: idToken });

    expect(page.response.status).toBe(200);
    expect(isConfirmationPage(page)).toBe(true);
    expect(page.body).toContain('An application asks to sign you out.');
  });

  it('shows signed-out page to signed-out browser', async () => {
    const page = await new UserAgent(server.url).get(`${server.url}/logout`);

    expect(page.response.status).toBe(200);
    expect(page.body).toContain('<h1>You are signed out</h1>');
    expect(page.response.headers.get('set-cookie')).toBeNull();
  });
});

describe('logout › errors', () => {
  it('rejects unregistered redirect', async () => {
    const { browser, idToken } = await signIn();

    const page = await browser.get(
      logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: 'https://evil.example.com/' }),
    );

    expect(page.response.status).toBe(400);
    expect(page.response.headers.get('location')).toBeNull();
    expect(errorPageMessage(page.body)).toMatch(/is not registered for this client/);
    expect(await isSignedIn(browser)).toBe(true);
  });

  it('rejects redirect without client', async () => {
    const page = await new UserAgent(server.url).get(
      logoutUrl({ post_logout_redirect_uri: LOGGED_OUT }),
    );

    expect(page.response.status).toBe(400);
    expect(errorPageMessage(page.body)).toMatch(/needs an id_token_hint or a client_id/);
  });

  it('rejects hint of another issuer', async () => {
    const { browser } = await signIn();
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'made-up' })
      .setIssuer(server.url)
      .setSubject(aliceId)
      .setAudience('web-app')
      .setIssuedAt()
      .sign(privateKey);

    const page = await browser.get(logoutUrl({ id_token_hint: forged }));

    expect(page.response.status).toBe(400);
    expect(errorPageMessage(page.body)).toBe(
      'The id_token_hint is not an ID token issued by this server.',
    );
    expect(await isSignedIn(browser)).toBe(true);
  });

  it('rejects repeated parameter', async () => {
    const page = await new UserAgent(server.url).get(`${server.url}/logout?state=a&state=b`);

    expect(page.response.status).toBe(400);
    expect(errorPageMessage(page.body)).toBe("The parameter 'state' is repeated.");
  });
});
