/**
 * `oauth-admin tokens revoke`, run as a child process against the data folder of a running
 * local server, checked at the token and introspection endpoints.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClientWithCli,
  introspectToken,
  refreshAs,
  runAdminCli,
  signInForTokens,
  WEB_CLIENT_OPTIONS,
  type AdminClient,
} from '../support/admin-cli.ts';
import { UserAgent, type UserCredentials } from '../support/authorization-flow.ts';
import { basicAuthorization } from '../support/clients.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { postToken } from '../support/token-requests.ts';

const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };

let dataDirectory: string;
let server: TestServer;
let webApp: AdminClient;
let otherApp: AdminClient;
let resourceServer: AdminClient;
let browser: UserAgent;

beforeAll(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'admin-tokens-'));
  server = await startServer({
    DATA_DIR: dataDirectory,
    MEMORY_CACHE_SECONDS: '0',
    DEMO_CLIENT_SECRET: 'demo-secret-0123456789',
    DEMO_PASSWORD: 'demo-password-0123',
  });
  webApp = await createClientWithCli(dataDirectory, 'web-app', WEB_CLIENT_OPTIONS);
  otherApp = await createClientWithCli(dataDirectory, 'other-app', WEB_CLIENT_OPTIONS);
  resourceServer = await createClientWithCli(dataDirectory, 'resource-server', ['--introspection']);
  const created = await admin(
    ['users', 'create', ALICE.username, '--password-stdin'],
    ALICE.password,
  );
  if (created.status !== 0) throw new Error(created.stderr);
  browser = new UserAgent(server.url);
});

afterAll(async () => {
  await server?.stop();
  await rm(dataDirectory, { recursive: true, force: true });
});

function admin(args: string[], input?: string) {
  return runAdminCli(dataDirectory, args, input === undefined ? {} : { input });
}

function familyOf(refreshToken: string): string {
  return refreshToken.slice(0, refreshToken.indexOf('.'));
}

describe('tokens revoke --family', () => {
  it('revokes the family', async () => {
    const tokens = await signInForTokens(browser, webApp, ALICE);

    const familyId = familyOf(tokens.refreshToken);

    const run = await admin(['tokens', 'revoke', '--family', familyId, '--yes']);
    const refresh = await refreshAs(server.url, webApp, tokens.refreshToken);
    const introspection = await introspectToken(server.url, resourceServer, tokens.accessToken);

    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Revoked refresh token family ${familyId}`);
    expect(refresh.body.error).toBe('invalid_grant');
    expect(introspection).toEqual({ active: false });
  });

  it('leaves other families active', async () => {
    const revoked = await signInForTokens(browser, webApp, ALICE);
    const kept = await signInForTokens(browser, webApp, ALICE);

    await admin(['tokens', 'revoke', '--family', familyOf(revoked.refreshToken), '--yes']);

    expect((await refreshAs(server.url, webApp, kept.refreshToken)).response.status).toBe(200);
  });

  it('reports revoked family as JSON', async () => {
    const tokens = await signInForTokens(browser, webApp, ALICE);
    const familyId = familyOf(tokens.refreshToken);
    await admin(['tokens', 'revoke', '--family', familyId, '--yes']);

    const run = await admin(['tokens', 'revoke', '--family', familyId, '--yes', '--json']);

    expect(run.status).toBe(0);
    expect(run.json()).toMatchObject({ familyId, clientId: 'web-app', alreadyRevoked: true });
  });

  it('refuses without confirmation', async () => {
    const tokens = await signInForTokens(browser, webApp, ALICE);

    const run = await admin(['tokens', 'revoke', '--family', familyOf(tokens.refreshToken)]);

    expect(run.status).toBe(1);
    expect((await refreshAs(server.url, webApp, tokens.refreshToken)).response.status).toBe(200);
  });

  it('reports unknown family', async () => {
    const run = await admin(['tokens', 'revoke', '--family', 'no-such-family', '--yes']);

    expect(run.status).toBe(2);
  });
});

describe('tokens revoke --refresh-token-stdin', () => {
  it('revokes family of presented token', async () => {
    const tokens = await signInForTokens(browser, webApp, ALICE);

    const run = await admin(
      ['tokens', 'revoke', '--refresh-token-stdin', '--yes'],
      `${tokens.refreshToken}\n`,
    );
    const refresh = await refreshAs(server.url, webApp, tokens.refreshToken);

    expect(run.status).toBe(0);
    expect(run.stdout).not.toContain(tokens.refreshToken);
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('reports unknown token', async () => {
    const run = await admin(
      ['tokens', 'revoke', '--refresh-token-stdin', '--yes'],
      'unknown-family.c2VjcmV0',
    );

    expect(run.status).toBe(2);
  });

  it('rejects malformed input', async () => {
    const run = await admin(['tokens', 'revoke', '--refresh-token-stdin', '--yes'], 'not a token');

    expect(run.status).toBe(1);
  });
});

describe('tokens revoke --client', () => {
  it('revokes every token of the client', async () => {
    const first = await signInForTokens(browser, webApp, ALICE);
    const second = await signInForTokens(browser, webApp, ALICE);
    const other = await signInForTokens(browser, otherApp, ALICE);

    const run = await admin(['tokens', 'revoke', '--client', 'web-app', '--yes']);

    expect(run.status).toBe(0);
    const firstRefresh = await refreshAs(server.url, webApp, first.refreshToken);
    const secondRefresh = await refreshAs(server.url, webApp, second.refreshToken);
    expect(firstRefresh.body.error).toBe('invalid_grant');
    expect(secondRefresh.body.error).toBe('invalid_grant');
    expect(await introspectToken(server.url, resourceServer, first.accessToken)).toEqual({
      active: false,
    });
    expect((await refreshAs(server.url, otherApp, other.refreshToken)).response.status).toBe(200);
  });

  it('accepts tokens issued afterwards', async () => {
    await signInForTokens(browser, webApp, ALICE);
    await admin(['tokens', 'revoke', '--client', 'web-app', '--yes']);

    // The browser session survives: only the client's tokens were revoked.
    const tokens = await signInForTokens(browser, webApp, ALICE);
    const refresh = await refreshAs(server.url, webApp, tokens.refreshToken);
    const introspection = await introspectToken(server.url, resourceServer, tokens.accessToken);

    expect(refresh.response.status).toBe(200);
    expect(introspection.active).toBe(true);
  });

  it('revokes client credentials tokens', async () => {
    const service = await createClientWithCli(dataDirectory, 'service', [
      '--grant-type', 'client_credentials', '--scope', 'api:read',
    ]);
    const { body } = await postToken(
      server.url,
      { grant_type: 'client_credentials' },
      { authorization: basicAuthorization(service.clientId, service.secret) },
    );
    const accessToken = String(body.access_token);

    const run = await admin(['tokens', 'revoke', '--client', 'service', '--yes', '--json']);

    expect(run.status).toBe(0);
    expect(run.json()).toMatchObject({ clientId: 'service' });
    expect(await introspectToken(server.url, resourceServer, accessToken)).toEqual({
      active: false,
    });
  });

  it('reports unknown client', async () => {
    const run = await admin(['tokens', 'revoke', '--client', 'nobody', '--yes']);

    expect(run.status).toBe(2);
  });
});
