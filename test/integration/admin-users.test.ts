/**
 * `oauth-admin users`, run as a child process against the data folder of a running local
 * server, with each change checked through sign-in, refresh and introspection over HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_REDIRECT_URI,
  createClientWithCli,
  introspectToken,
  refreshAs,
  runAdminCli,
  signInForTokens,
  WEB_CLIENT_OPTIONS,
  type AdminClient,
} from '../support/admin-cli.ts';
import {
  isLoginPage,
  loginErrorMessage,
  UserAgent,
  type UserCredentials,
} from '../support/authorization-flow.ts';
import { startServer, type TestServer } from '../support/local-server.ts';

let dataDirectory: string;
let server: TestServer;
let webApp: AdminClient;
let resourceServer: AdminClient;

beforeAll(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'admin-users-'));
  server = await startServer({
    DATA_DIR: dataDirectory,
    MEMORY_CACHE_SECONDS: '0',
    DEMO_CLIENT_SECRET: 'demo-secret-0123456789',
    DEMO_PASSWORD: 'demo-password-0123',
  });
  webApp = await createClientWithCli(dataDirectory, 'web-app', WEB_CLIENT_OPTIONS);
  resourceServer = await createClientWithCli(dataDirectory, 'resource-server', ['--introspection']);
});

afterAll(async () => {
  await server?.stop();
  await rm(dataDirectory, { recursive: true, force: true });
});

function admin(args: string[], input?: string) {
  return runAdminCli(dataDirectory, args, input === undefined ? {} : { input });
}

/** Creates a user with the command and returns its credentials. */
async function createUser(username: string): Promise<UserCredentials> {
  const password = `${username}-password-0123`;
  const run = await admin(['users', 'create', username, '--password-stdin'], `${password}\n`);
  if (run.status !== 0) throw new Error(`users create failed (${run.status}):\n${run.stderr}`);
  return { username, password };
}

/** Tries to sign in a new browser and returns the login error, or undefined on success. */
async function loginError(credentials: UserCredentials): Promise<string | undefined> {
  const browser = new UserAgent(server.url);
  const last = await browser.completeFlow(
    {
      response_type: 'code',
      client_id: webApp.clientId,
      redirect_uri: ADMIN_REDIRECT_URI,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    },
    credentials,
  );
  if (isLoginPage(last.body)) return loginErrorMessage(last.body) ?? 'login page again';
  return undefined;
}

/** Returns whether the browser's session still counts, asking with prompt=none. */
async function sessionIsValid(browser: UserAgent): Promise<boolean> {
  const response = await browser.followWithinIssuer(
    await browser.authorize({
      response_type: 'code',
      client_id: webApp.clientId,
      redirect_uri: ADMIN_REDIRECT_URI,
      scope: 'openid',
      prompt: 'none',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }),
  );
  const location = new URL(response.response.headers.get('location') ?? '');
  if (location.searchParams.get('error') === 'login_required') return false;
  if (location.searchParams.has('code')) return true;
  throw new Error(`Unexpected redirect: ${location.href}`);
}

describe('users create', () => {
  it('creates user who signs in', async () => {
    const alice = await createUser('alice');

    expect(await loginError(alice)).toBeUndefined();
  });

  it('prints user as JSON', async () => {
    const run = await admin(
      [
        'users', 'create', 'carol', '--name', 'Carol C', '--email', 'carol@example.com',
        '--password-stdin', '--json',
      ],
      'carol-password-0123',
    );

    expect(run.status).toBe(0);
    const user = run.json<{ user: Record<string, unknown> }>().user;
    expect(user.username).toBe('carol');
    expect(user.name).toBe('Carol C');
    expect(user.userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(user).not.toHaveProperty('passwordHash');
  });

  it('rejects taken username in other case', async () => {
    await createUser('dave');

    const run = await admin(['users', 'create', 'DAVE', '--password-stdin'], 'dave-password-0123');

    expect(run.status).toBe(3);
    expect(run.stderr).toContain('The username DAVE is taken');
  });

  it('rejects short password', async () => {
    const run = await admin(['users', 'create', 'erin', '--password-stdin'], 'short');
    const show = await admin(['users', 'show', 'erin']);

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('use 8 to 1024');
    expect(show.status).toBe(2);
  });

  it('needs password source without terminal', async () => {
    const run = await admin(['users', 'create', 'frank']);

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--password-stdin');
  });
});

describe('users list and show', () => {
  it('lists users in username order', async () => {
    await createUser('zoe');
    await createUser('yann');

    const run = await admin(['users', 'list', '--json']);

    expect(run.status).toBe(0);
    const names = run.json<{ users: { username: string }[] }>().users.map((u) => u.username);
    expect(names).toContain('demo');
    expect(names).toContain('zoe');
    expect(names).toEqual([...names].sort());
  });

  it('shows user by id', async () => {
    await createUser('gina');
    const byName = await admin(['users', 'show', 'gina', '--json']);
    const userId = byName.json<{ user: { userId: string } }>().user.userId;

    const byId = await admin(['users', 'show', userId]);

    expect(byId.status).toBe(0);
    expect(byId.stdout).toContain('username: gina');
    expect(byId.stdout).not.toContain('scrypt');
  });
});

describe('users set-password', () => {
  it('replaces the password', async () => {
    const hank = await createUser('hank');
    const newPassword = 'hank-new-password-0123';

    const run = await admin(['users', 'set-password', 'hank', '--password-stdin'], newPassword);

    expect(run.status).toBe(0);
    expect(await loginError(hank)).toBe('The username or password is incorrect.');
    expect(await loginError({ username: 'hank', password: newPassword })).toBeUndefined();
  });
});

describe('users disable and enable', () => {
  it('blocks sign-in and refresh while disabled', async () => {
    const ivy = await createUser('ivy');
    const tokens = await signInForTokens(new UserAgent(server.url), webApp, ivy);

    const disabled = await admin(['users', 'disable', 'ivy']);
    const refresh = await refreshAs(server.url, webApp, tokens.refreshToken);
    const introspection = await introspectToken(server.url, resourceServer, tokens.accessToken);

    expect(disabled.status).toBe(0);
    expect(await loginError(ivy)).toBe('The username or password is incorrect.');
    expect(refresh.body.error).toBe('invalid_grant');
    expect(introspection).toEqual({ active: false });
  });

  it('allows sign-in again when enabled', async () => {
    const jack = await createUser('jack');
    await admin(['users', 'disable', 'jack']);

    const enabled = await admin(['users', 'enable', 'jack']);

    expect(enabled.status).toBe(0);
    expect(await loginError(jack)).toBeUndefined();
  });
});

describe('users sign-out', () => {
  it('refuses without confirmation', async () => {
    const kate = await createUser('kate');
    const browser = new UserAgent(server.url);
    await signInForTokens(browser, webApp, kate);

    const run = await admin(['users', 'sign-out', 'kate']);

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Pass --yes');
    expect(await sessionIsValid(browser)).toBe(true);
  });

  it('ends sessions and tokens', async () => {
    const liam = await createUser('liam');
    const browser = new UserAgent(server.url);
    const tokens = await signInForTokens(browser, webApp, liam);
    expect(await sessionIsValid(browser)).toBe(true);

    const run = await admin(['users', 'sign-out', 'liam', '--yes', '--json']);
    const refresh = await refreshAs(server.url, webApp, tokens.refreshToken);
    const introspection = await introspectToken(server.url, resourceServer, tokens.accessToken);

    expect(run.status).toBe(0);
    expect(run.json<{ signedOutAt: string }>().signedOutAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await sessionIsValid(browser)).toBe(false);
    expect(refresh.body.error).toBe('invalid_grant');
    expect(introspection).toEqual({ active: false });
  });

  it('lets user sign in again at once', async () => {
    const mia = await createUser('mia');
    await signInForTokens(new UserAgent(server.url), webApp, mia);
    await admin(['users', 'sign-out', 'mia', '--yes']);

    const tokens = await signInForTokens(new UserAgent(server.url), webApp, mia);
    const refresh = await refreshAs(server.url, webApp, tokens.refreshToken);

    expect(refresh.response.status).toBe(200);
  });

  it('leaves other users signed in', async () => {
    const nora = await createUser('nora');
    const otto = await createUser('otto');
    const browser = new UserAgent(server.url);
    const tokens = await signInForTokens(browser, webApp, otto);
    await signInForTokens(new UserAgent(server.url), webApp, nora);

    await admin(['users', 'sign-out', 'nora', '--yes']);

    expect(await sessionIsValid(browser)).toBe(true);
    expect((await refreshAs(server.url, webApp, tokens.refreshToken)).response.status).toBe(200);
  });
});

describe('users delete', () => {
  it('deletes user and frees username', async () => {
    const paul = await createUser('paul');

    const run = await admin(['users', 'delete', 'paul', '--yes']);
    const show = await admin(['users', 'show', 'paul']);
    const again = await admin(
      ['users', 'create', 'paul', '--password-stdin'],
      'paul-other-password',
    );

    expect(run.status).toBe(0);
    expect(show.status).toBe(2);
    expect(await loginError(paul)).toBe('The username or password is incorrect.');
    expect(again.status).toBe(0);
  });

  it('refuses without confirmation', async () => {
    const quinn = await createUser('quinn');

    const run = await admin(['users', 'delete', 'quinn']);

    expect(run.status).toBe(1);
    expect(await loginError(quinn)).toBeUndefined();
  });

  it('reports unknown user', async () => {
    const run = await admin(['users', 'delete', 'nobody', '--yes']);

    expect(run.status).toBe(2);
    expect(run.stderr).toContain('The user nobody does not exist.');
  });
});
