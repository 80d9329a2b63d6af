/**
 * How `oauth-admin` reaches the local data folder: through the dynalite endpoint that a
 * running local server publishes in the folder, and through a dynalite of its own, which
 * locks the folder, when no server runs.
 */
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_ENDPOINT_FILE } from '../../bin/local/table-endpoint-file.ts';
import { createClientWithCli, runAdminCli, type AdminClient } from '../support/admin-cli.ts';
import { basicAuthorization } from '../support/clients.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { postToken } from '../support/token-requests.ts';

const SERVICE_OPTIONS = ['--grant-type', 'client_credentials', '--scope', 'api:read'];

let dataDirectory: string;
let server: TestServer | undefined;
let before: AdminClient;

beforeAll(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'admin-local-'));
});

afterAll(async () => {
  await server?.stop();
  await rm(dataDirectory, { recursive: true, force: true });
});

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function listedClientIds(): Promise<string[]> {
  const run = await runAdminCli(dataDirectory, ['clients', 'list', '--json']);
  if (run.status !== 0) throw new Error(`clients list failed (${run.status}):\n${run.stderr}`);
  return run.json<{ clients: { clientId: string }[] }>().clients.map((client) => client.clientId);
}

function clientCredentials(issuer: string, client: AdminClient) {
  return postToken(
    issuer,
    { grant_type: 'client_credentials' },
    { authorization: basicAuthorization(client.clientId, client.secret) },
  );
}

// The steps share one data folder and run in order: before, while and after the server runs.
describe('local data folder', () => {
  it('works without a server', async () => {
    before = await createClientWithCli(dataDirectory, 'before-server', SERVICE_OPTIONS);

    expect(await listedClientIds()).toEqual(['before-server']);
    expect(await exists(join(dataDirectory, TABLE_ENDPOINT_FILE))).toBe(false);
    expect(await exists(join(dataDirectory, 'server.lock'))).toBe(false);
  });

  it('reaches data of a running server', async () => {
    server = await startServer({ DATA_DIR: dataDirectory, MEMORY_CACHE_SECONDS: '0' });
    const record = JSON.parse(await readFile(join(dataDirectory, TABLE_ENDPOINT_FILE), 'utf8'));

    const during = await createClientWithCli(dataDirectory, 'during-server', SERVICE_OPTIONS);

    expect(record.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(record.tableName).toBe('oauth-server');
    expect((await clientCredentials(server.url, before)).response.status).toBe(200);
    expect((await clientCredentials(server.url, during)).response.status).toBe(200);
    expect(await listedClientIds()).toContain('demo-client');
  });

  it('removes the endpoint file on stop', async () => {
    await server?.stop();
    server = undefined;

    expect(await exists(join(dataDirectory, TABLE_ENDPOINT_FILE))).toBe(false);
    const ids = await listedClientIds();
    expect(ids).toEqual(['before-server', 'demo-client', 'demo-spa', 'during-server']);
  });

  it('ignores endpoint file of ended process', async () => {
    // Linux process ids stay at or below 2^22, so no process has this one.
    const record = { endpoint: 'http://127.0.0.1:9', tableName: 'oauth-server', pid: 2 ** 22 + 1 };
    await writeFile(join(dataDirectory, TABLE_ENDPOINT_FILE), JSON.stringify(record));

    const ids = await listedClientIds();

    expect(ids).toContain('before-server');
    await rm(join(dataDirectory, TABLE_ENDPOINT_FILE));
  });

  it('reports folder locked without endpoint', async () => {
    // This test's own process takes the place of a server that is still starting.
    await writeFile(join(dataDirectory, 'server.lock'), String(process.pid));

    const run = await runAdminCli(dataDirectory, ['clients', 'list']);
    await rm(join(dataDirectory, 'server.lock'));

    expect(run.status).toBe(4);
    expect(run.stderr).toContain('is in use by another local server');
    expect(run.stderr).toContain('run the command again');
  });
});
