/**
 * `oauth-admin clients`, run as a child process against the data folder of a running local
 * server, with each change checked at the token endpoint. The server keeps no client in
 * memory (MEMORY_CACHE_SECONDS=0), so every change shows at the next request.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientWithCli, runAdminCli } from '../support/admin-cli.ts';
import { basicAuthorization } from '../support/clients.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { postToken } from '../support/token-requests.ts';

let dataDirectory: string;
let server: TestServer;

beforeAll(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'admin-clients-'));
  server = await startServer({
    DATA_DIR: dataDirectory,
    MEMORY_CACHE_SECONDS: '0',
    DEMO_CLIENT_SECRET: 'demo-secret-0123456789',
    DEMO_PASSWORD: 'demo-password-0123',
  });
});

afterAll(async () => {
  await server?.stop();
  await rm(dataDirectory, { recursive: true, force: true });
});

function admin(...args: string[]) {
  return runAdminCli(dataDirectory, args);
}

function clientCredentials(clientId: string, secret: string, scope?: string) {
  return postToken(
    server.url,
    { grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) },
    { authorization: basicAuthorization(clientId, secret) },
  );
}

const SERVICE_OPTIONS = ['--grant-type', 'client_credentials', '--scope', 'api:read'];

describe('clients create', () => {
  it('issues tokens to created client', async () => {
    const client = await createClientWithCli(dataDirectory, 'service-a', SERVICE_OPTIONS);

    const { response, body } = await clientCredentials(client.clientId, client.secret);

    expect(client.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(response.status).toBe(200);
    expect(body.scope).toBe('api:read');
  });

  it('prints client and secret as JSON', async () => {
    const run = await admin('clients', 'create', 'service-json', ...SERVICE_OPTIONS, '--json');

    expect(run.status).toBe(0);
    const output = run.json<{ client: Record<string, unknown>; clientSecret: string }>();
    expect(output.client.clientId).toBe('service-json');
    expect(output.client.hasSecret).toBe(true);
    expect(output.client).not.toHaveProperty('secretHash');
    expect(output.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('prints secret once in text', async () => {
    const run = await admin('clients', 'create', 'service-text', ...SERVICE_OPTIONS);

    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^client secret: [A-Za-z0-9_-]{43}$/m);
    expect(run.stdout).toContain('The secret is shown only now');
  });

  it('creates public client without secret', async () => {
    const run = await admin(
      'clients', 'create', 'spa', '--auth-method', 'none',
      '--grant-type', 'authorization_code,refresh_token',
      '--redirect-uri', 'http://127.0.0.1/callback', '--scope', 'openid', '--json',
    );

    expect(run.status).toBe(0);
    expect(run.json()).not.toHaveProperty('clientSecret');
    const { client } = run.json<{ client: { responseTypes: string[] } }>();
    expect(client.responseTypes).toEqual(['code']);
  });

  it('registers private_key_jwt keys from file', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwksFile = join(dataDirectory, 'jwks.json');
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1' };
    await writeFile(jwksFile, JSON.stringify({ keys: [publicJwk] }));
    const run = await admin(
      'clients', 'create', 'jwt-service', '--auth-method', 'private_key_jwt',
      '--jwks-file', jwksFile, ...SERVICE_OPTIONS, '--json',
    );
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('jwt-service')
      .setSubject('jwt-service')
      .setAudience(`${server.url}/token`)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey);

    const { response } = await postToken(server.url, {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });

    expect(run.status).toBe(0);
    expect(run.json()).not.toHaveProperty('clientSecret');
    expect(response.status).toBe(200);
  });

  it('rejects taken client id', async () => {
    const run = await admin('clients', 'create', 'service-a', ...SERVICE_OPTIONS);

    expect(run.status).toBe(3);
    expect(run.stderr).toContain('The client service-a exists already');
  });

  it('rejects invalid client unchanged', async () => {
    const run = await admin('clients', 'create', 'broken', '--grant-type', 'authorization_code');
    const show = await admin('clients', 'show', 'broken');

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('need a redirect URI');
    expect(show.status).toBe(2);
  });
});

describe('clients list and show', () => {
  it('lists seeded and created clients', async () => {
    await createClientWithCli(dataDirectory, 'service-listed', SERVICE_OPTIONS);

    const run = await admin('clients', 'list', '--json');

    expect(run.status).toBe(0);
    const ids = run.json<{ clients: { clientId: string }[] }>().clients.map((c) => c.clientId);
    expect(ids).toContain('demo-client');
    expect(ids).toContain('demo-spa');
    expect(ids).toContain('service-listed');
    expect(ids).toEqual([...ids].sort());
  });

  it('pages with limit and after', async () => {
    const first = await admin('clients', 'list', '--limit', '1', '--json');
    const next = first.json<{ next: string }>().next;
    const second = await admin('clients', 'list', '--limit', '1', '--after', next, '--json');

    const firstIds = first.json<{ clients: { clientId: string }[] }>().clients;
    const secondIds = second.json<{ clients: { clientId: string }[] }>().clients;
    expect(firstIds).toHaveLength(1);
    expect(secondIds).toHaveLength(1);
    expect((secondIds[0]?.clientId ?? '') > (firstIds[0]?.clientId ?? '')).toBe(true);
  });

  it('shows client without secret', async () => {
    const client = await createClientWithCli(dataDirectory, 'service-shown', SERVICE_OPTIONS);

    const run = await admin('clients', 'show', 'service-shown');

    expect(run.status).toBe(0);
    expect(run.stdout).toContain('auth method: client_secret_basic (secret set)');
    expect(run.stdout).not.toContain(client.secret);
    expect(run.stdout).not.toContain('salt');
  });

  it('reports unknown client', async () => {
    const run = await admin('clients', 'show', 'nobody', '--json');

    expect(run.status).toBe(2);
    expect(JSON.parse(run.stderr)).toEqual({
      error: 'not_found',
      message: 'The client nobody does not exist.',
    });
  });
});

describe('clients update', () => {
  it('widens scopes', async () => {
    const client = await createClientWithCli(dataDirectory, 'service-scopes', SERVICE_OPTIONS);
    const before = await clientCredentials(client.clientId, client.secret, 'api:write');

    const run = await admin('clients', 'update', 'service-scopes', '--add-scope', 'api:write');
    const after = await clientCredentials(client.clientId, client.secret, 'api:write');

    expect(before.body.error).toBe('invalid_scope');
    expect(run.status).toBe(0);
    expect(after.response.status).toBe(200);
  });

  it('changes access token lifetime', async () => {
    const client = await createClientWithCli(dataDirectory, 'service-lifetime', SERVICE_OPTIONS);

    const run = await admin(
      'clients', 'update', 'service-lifetime', '--access-token-lifetime', '120',
    );
    const { body } = await clientCredentials(client.clientId, client.secret);

    expect(run.status).toBe(0);
    expect(body.expires_in).toBe(120);
  });

  it('rejects change that breaks client', async () => {
    await createClientWithCli(dataDirectory, 'service-unbroken', SERVICE_OPTIONS);

    const run = await admin(
      'clients', 'update', 'service-unbroken', '--redirect-uri', 'https://a.example.com/cb',
    );

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Redirect URIs need the authorization_code or implicit grant');
  });
});

describe('clients rotate-secret', () => {
  it('refuses without confirmation', async () => {
    const client = await createClientWithCli(dataDirectory, 'service-kept', SERVICE_OPTIONS);

    const run = await admin('clients', 'rotate-secret', 'service-kept');
    const { response } = await clientCredentials(client.clientId, client.secret);

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Pass --yes');
    expect(response.status).toBe(200);
  });

  it('replaces the secret', async () => {
    const client = await createClientWithCli(dataDirectory, 'service-rotated', SERVICE_OPTIONS);

    const run = await admin('clients', 'rotate-secret', 'service-rotated', '--yes', '--json');
    const secret = run.json<{ clientSecret: string }>().clientSecret;
    const fresh = await clientCredentials(client.clientId, secret);
    const old = await clientCredentials(client.clientId, client.secret);

    expect(run.status).toBe(0);
    expect(secret).not.toBe(client.secret);
    expect(fresh.response.status).toBe(200);
    expect(old.response.status).toBe(401);
  });

  it('rejects public client', async () => {
    const run = await admin('clients', 'rotate-secret', 'demo-spa', '--yes');

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('uses none, not a secret');
  });
});

describe('clients delete', () => {
  it('refuses without confirmation', async () => {
    const client = await createClientWithCli(dataDirectory, 'service-undeleted', SERVICE_OPTIONS);

    const run = await admin('clients', 'delete', 'service-undeleted');
    const { response } = await clientCredentials(client.clientId, client.secret);

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('standard input is not a terminal');
    expect(response.status).toBe(200);
  });

  it('deletes client', async () => {
    const client = await createClientWithCli(dataDirectory, 'service-deleted', SERVICE_OPTIONS);

    const run = await admin('clients', 'delete', 'service-deleted', '--yes');
    const { response, body } = await clientCredentials(client.clientId, client.secret);
    const list = await admin('clients', 'list', '--json');

    expect(run.status).toBe(0);
    expect(response.status).toBe(401);
    expect(body.error).toBe('invalid_client');
    const ids = list.json<{ clients: { clientId: string }[] }>().clients.map((c) => c.clientId);
    expect(ids).not.toContain('service-deleted');
  });

  it('reports unknown client', async () => {
    const run = await admin('clients', 'delete', 'never-created', '--yes');

    expect(run.status).toBe(2);
  });
});
