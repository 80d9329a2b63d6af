/**
 * The login page over HTTP: failures that reveal nothing about which usernames exist, forms
 * bound to the browser that started the request and protected by a CSRF token, and the
 * per-username limit on failed attempts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  errorPageMessage,
  isLoginPage,
  loginErrorMessage,
  readInteractionFields,
  UserAgent,
  type InteractionFields,
  type UserCredentials,
} from '../support/authorization-flow.ts';
import { registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };
const WRONG_CREDENTIALS = 'The username or password is incorrect.';
const EXPIRED_FORM = 'The form has expired. Go back, reload the page and try again.';
const OTHER_BROWSER =
  'This sign-in request has expired or was started in another browser. ' +
  'Return to the application and start again.';

/** The server's window for counting failed logins, in seconds. */
const RATE_LIMIT_WINDOW_SECONDS = 15 * 60;

let table: TestTable;
let server: TestServer;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      clientId: 'web-app',
      secret: 'web-app-secret-0123456789',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['authorization_code'],
      responseTypes: ['code'],
      redirectUris: [REDIRECT_URI],
      scopes: ['api:read'],
      skipConsent: true,
    },
  ]);
  await createUser(table.endpoint, ALICE.username, ALICE.password);
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

interface LoginForm {
  browser: UserAgent;
  loginUrl: string;
  fields: InteractionFields;
}

/** Starts an authorization request in a new user agent and returns its login form. */
async function openLoginForm(): Promise<LoginForm> {
  const browser = new UserAgent(server.url);
  const redirect = await browser.authorize({
    response_type: 'code',
    client_id: 'web-app',
    redirect_uri: REDIRECT_URI,
    state: 'login-test',
  });
  const loginUrl = redirect.response.headers.get('location') ?? '';
  const page = await browser.get(loginUrl);
  if (!isLoginPage(page.body)) throw new Error(`No login page at ${loginUrl}:\n${page.body}`);
  return { browser, loginUrl, fields: readInteractionFields(page.body) };
}

async function submitLogin(
  form: LoginForm,
  credentials: UserCredentials,
  browser: UserAgent = form.browser,
) {
  return browser.postForm(`${server.url}/login`, {
    interaction: form.fields.interaction,
    csrf_token: form.fields.csrfToken,
    ...credentials,
  });
}

/**
 * Waits until the current rate limit window has at least `neededSeconds` left, so that the
 * failures of one test land in one window. The wait is at most `neededSeconds`.
 */
async function waitForRoomInWindow(neededSeconds: number): Promise<void> {
  const nowSeconds = Date.now() / 1000;
  const left = RATE_LIMIT_WINDOW_SECONDS - (nowSeconds % RATE_LIMIT_WINDOW_SECONDS);
  if (left < neededSeconds) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 100));
}

describe('login › wrong credentials', () => {
  it('rejects a wrong password on the page', async () => {
    const form = await openLoginForm();

    const page = await submitLogin(form, { username: ALICE.username, password: 'wrong-password' });

    expect(page.response.status).toBe(400);
    expect(page.response.headers.get('location')).toBeNull();
    expect(page.response.headers.getSetCookie()).toEqual([]);
    expect(loginErrorMessage(page.body)).toBe(WRONG_CREDENTIALS);
  });

  it('rejects an unknown username on the page', async () => {
    const form = await openLoginForm();

    const page = await submitLogin(form, { username: 'nobody', password: 'wrong-password' });

    expect(page.response.status).toBe(400);
    expect(page.response.headers.get('location')).toBeNull();
    expect(page.response.headers.getSetCookie()).toEqual([]);
    expect(loginErrorMessage(page.body)).toBe(WRONG_CREDENTIALS);
  });

  it('renders both failures alike', async () => {
    const form = await openLoginForm();

    const wrongPassword = await submitLogin(form, { username: 'alice', password: 'wrong-1' });
    const unknownUser = await submitLogin(form, { username: 'nobod', password: 'wrong-1' });

    expect(unknownUser.response.status).toBe(wrongPassword.response.status);
    expect(unknownUser.body.replace('value="nobod"', 'value="?"')).toBe(
      wrongPassword.body.replace('value="alice"', 'value="?"'),
    );
  });

  it('accepts the right password after a failure', async () => {
    const form = await openLoginForm();
    await submitLogin(form, { username: ALICE.username, password: 'wrong-password' });

    const page = await submitLogin(form, ALICE);

    expect(page.response.status).toBe(303);
    expect(page.response.headers.get('location')).toMatch(/^https:\/\/app\.example\.com\/cb\?code=/);
    expect(form.browser.cookie('oauth_session')).toEqual(expect.any(String));
  });
});

describe('login › CSRF token', () => {
  it('rejects a form without csrf_token', async () => {
    const form = await openLoginForm();

    const page = await form.browser.postForm(`${server.url}/login`, {
      interaction: form.fields.interaction,
      ...ALICE,
    });

    expect(page.response.status).toBe(400);
    expect(page.response.headers.get('location')).toBeNull();
    expect(errorPageMessage(page.body)).toBe(EXPIRED_FORM);
    expect(form.browser.cookie('oauth_session')).toBeUndefined();
  });

  it('rejects a wrong csrf_token', async () => {
    const form = await openLoginForm();
    const forged = { ...form, fields: { ...form.fields, csrfToken: 'A'.repeat(43) } };

    const page = await submitLogin(forged, ALICE);

    expect(page.response.status).toBe(400);
    expect(page.response.headers.get('location')).toBeNull();
    expect(errorPageMessage(page.body)).toBe(EXPIRED_FORM);
    expect(form.browser.cookie('oauth_session')).toBeUndefined();
  });
});

describe('login › browser binding', () => {
  it('rejects the login page in another browser', async () => {
    const form = await openLoginForm();
    const otherBrowser = new UserAgent(server.url);

    const page = await otherBrowser.get(form.loginUrl);

    expect(page.response.status).toBe(400);
    expect(errorPageMessage(page.body)).toBe(OTHER_BROWSER);
    expect(page.body).not.toContain(form.fields.csrfToken);
  });

  it('rejects a login posted without the binding cookie', async () => {
    const form = await openLoginForm();
    const otherBrowser = new UserAgent(server.url);

    const page = await submitLogin(form, ALICE, otherBrowser);

    expect(page.response.status).toBe(400);
    expect(page.response.headers.get('location')).toBeNull();
    expect(errorPageMessage(page.body)).toBe(OTHER_BROWSER);
    expect(otherBrowser.cookie('oauth_session')).toBeUndefined();
  });

  it('rejects a login posted with another binding cookie', async () => {
    const victim = await openLoginForm();
    const attacker = await openLoginForm();

    const page = await submitLogin(victim, ALICE, attacker.browser);

    expect(page.response.status).toBe(400);
    expect(errorPageMessage(page.body)).toBe(OTHER_BROWSER);
    expect(attacker.browser.cookie('oauth_session')).toBeUndefined();
  });

  it('keeps the interaction for its own browser', async () => {
    const form = await openLoginForm();
    await submitLogin(form, ALICE, new UserAgent(server.url));

    const page = await submitLogin(form, ALICE);

    expect(page.response.status).toBe(303);
    expect(page.response.headers.get('location')).toMatch(/^https:\/\/app\.example\.com\/cb\?code=/);
  });
});

describe('login › rate limiting', () => {
  const limited: UserCredentials = { username: 'rate-limited', password: 'limited-password-0123' };

  beforeAll(async () => {
    await createUser(table.endpoint, limited.username, limited.password);
  });

  it('rejects the right password after 5 failures', async () => {
    await waitForRoomInWindow(10);
    const form = await openLoginForm();
    const failures: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const failed = await submitLogin(form, { ...limited, password: `wrong-${attempt}` });
      failures.push(failed.response.status);
    }

    const page = await submitLogin(form, limited);

    expect(failures).toEqual([400, 400, 400, 400, 400]);
    expect(page.response.status).toBe(429);
    expect(page.response.headers.get('location')).toBeNull();
    expect(loginErrorMessage(page.body)).toMatch(/^Too many failed sign-in attempts/);
    expect(form.browser.cookie('oauth_session')).toBeUndefined();
  });

  it('limits only the username that failed', async () => {
    const form = await openLoginForm();

    const page = await submitLogin(form, ALICE);

    expect(page.response.status).toBe(303);
  });
});
