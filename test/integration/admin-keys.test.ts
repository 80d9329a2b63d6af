/**
 * `oauth-admin keys`, run as a child process against the data folder of a running local
 * server, checked in /jwks.json and in the tokens the server signs. The server keeps no
 * signing key in memory (MEMORY_CACHE_SECONDS=0), so every change shows at the next request.
 */
import { decodeProtectedHeader } from 'jose';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClientWithCli,
  introspectToken,
  runAdminCli,
  type AdminClient,
} from '../support/admin-cli.ts';
import { basicAuthorization } from '../support/clients.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { postToken } from '../support/token-requests.ts';

interface KeyInfo {
  kid: string;
  algorithm: string;
  state: string;
}

let dataDirectory: string;
let server: TestServer;
let service: AdminClient;
let resourceServer: AdminClient;

beforeAll(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'admin-keys-'));
  server = await startServer({
    DATA_DIR: dataDirectory,
    MEMORY_CACHE_SECONDS: '0',
    DEMO_CLIENT_SECRET: 'demo-secret-0123456789',
    DEMO_PASSWORD: 'demo-password-0123',
  });
  service = await createClientWithCli(dataDirectory, 'service', [
    '--grant-type', 'client_credentials', '--scope', 'api:read',
  ]);
  resourceServer = await createClientWithCli(dataDirectory, 'resource-server', ['--introspection']);
  // The first request to /jwks.json creates the first key of every algorithm.
  await publishedKids();
});

afterAll(async () => {
  await server?.stop();
  await rm(dataDirectory, { recursive: true, force: true });
});

function admin(...args: string[]) {
  return runAdminCli(dataDirectory, args);
}

async function listKeys(): Promise<KeyInfo[]> {
  const run = await admin('keys', 'list', '--json');
  if (run.status !== 0) throw new Error(`keys list failed (${run.status}):\n${run.stderr}`);
  return run.json<{ keys: KeyInfo[] }>().keys;
}

async function publishedKids(): Promise<string[]> {
  const response = await fetch(`${server.url}/jwks.json`);
  const { keys } = (await response.json()) as { keys: { kid: string }[] };
  return keys.map((key) => key.kid);
}

async function serviceToken(): Promise<string> {
  const { body } = await postToken(
    server.url,
    { grant_type: 'client_credentials' },
    { authorization: basicAuthorization(service.clientId, service.secret) },
  );
  if (typeof body.access_token !== 'string') {
    throw new Error(`No access token: ${JSON.stringify(body)}\n${server.errors()}`);
  }
  return body.access_token;
}

function currentKid(keys: KeyInfo[], algorithm = 'ES256'): string {
  const key = keys.find(
    (candidate) => candidate.algorithm === algorithm && candidate.state === 'current',
  );
  if (key === undefined) throw new Error(`no current ${algorithm} key`);
  return key.kid;
}

describe('keys list', () => {
  it('lists the published keys with states', async () => {
    const keys = await listKeys();

    const published = await publishedKids();

    expect(keys.length).toBeGreaterThan(0);
    expect(keys.map((key) => key.kid).sort()).toEqual([...published].sort());
    expect(decodeProtectedHeader(await serviceToken()).kid).toBe(currentKid(keys));
  });

  it('prints a table', async () => {
    const run = await admin('keys', 'list');

    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^KID +ALG +STATE/);
    expect(run.stdout).not.toContain('"d"');
  });
});

describe('keys rotate', () => {
  it('publishes a next key first', async () => {
    const before = currentKid(await listKeys());

    const run = await admin('keys', 'rotate', '--algorithm', 'ES256', '--yes', '--json');
    const { rotations } = run.json<{ rotations: { ES256: { created?: string } } }>();
    const created = rotations.ES256.created;
    const keys = await listKeys();

    expect(run.status).toBe(0);
    expect(created).toBeDefined();
    expect(keys.find((key) => key.kid === created)?.state).toBe('next');
    expect(await publishedKids()).toContain(created);
    expect(decodeProtectedHeader(await serviceToken()).kid).toBe(before);
  });

  it('promotes at once with --immediate', async () => {
    const before = currentKid(await listKeys());

    const run = await admin('keys', 'rotate', '--algorithm', 'ES256', '--immediate', '--yes');
    const keys = await listKeys();
    const after = currentKid(keys);

    expect(run.status).toBe(0);
    expect(after).not.toBe(before);
    expect(keys.find((key) => key.kid === before)?.state).toBe('retired');
    expect(await publishedKids()).toContain(before);
    expect(decodeProtectedHeader(await serviceToken()).kid).toBe(after);
  });

  it('refuses without confirmation', async () => {
    const before = await listKeys();

    const run = await admin('keys', 'rotate', '--algorithm', 'ES256');

    expect(run.status).toBe(1);
    expect(await listKeys()).toEqual(before);
  });
});

describe('keys revoke', () => {
  it('removes key from the JWKS', async () => {
    const token = await serviceToken();
    const kid = decodeProtectedHeader(token).kid ?? '';
    expect((await introspectToken(server.url, resourceServer, token)).active).toBe(true);

    const run = await admin('keys', 'revoke', kid, '--yes');
    const keys = await listKeys();

    expect(run.status).toBe(0);
    expect(keys.find((key) => key.kid === kid)?.state).toBe('revoked');
    expect(await publishedKids()).not.toContain(kid);
    expect(await introspectToken(server.url, resourceServer, token)).toEqual({ active: false });
    expect(decodeProtectedHeader(await serviceToken()).kid).toBe(currentKid(keys));
  });

  it('refuses without confirmation', async () => {
    const kid = currentKid(await listKeys());

    const run = await admin('keys', 'revoke', kid);

    expect(run.status).toBe(1);
    expect(await publishedKids()).toContain(kid);
  });

  it('reports unknown kid', async () => {
    const run = await admin('keys', 'revoke', 'no-such-kid', '--yes');

    expect(run.status).toBe(2);
  });
});
