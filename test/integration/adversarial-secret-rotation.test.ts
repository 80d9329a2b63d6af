/**
 * Secret rotation on a running server. A warm function keeps client metadata in memory for
 * MEMORY_CACHE_SECONDS, so the new secret must work at once (a failed check reads the client
 * again) and the old one must stop working once the cached copy expires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization, registerClients, type TestClient } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';

const CLIENT: Omit<TestClient, 'secret'> = {
  clientId: 'rotating',
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['client_credentials'],
  scopes: ['reports:read'],
};

let table: TestTable;
let server: TestServer;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [{ ...CLIENT, secret: 'old-secret-0123456789' }]);
  server = await startServer({
    DYNAMODB_ENDPOINT: table.endpoint,
    TABLE_NAME: TEST_TABLE,
    MEMORY_CACHE_SECONDS: '1',
  });
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

async function tokenStatus(secret: string): Promise<number> {
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuthorization(CLIENT.clientId, secret),
    },
    body: 'grant_type=client_credentials',
  });
  await response.text();
  return response.status;
}

describe('adversarial › secret rotation', () => {
  it('accepts the new secret at once', async () => {
    expect(await tokenStatus('old-secret-0123456789')).toBe(200);

    await registerClients(table.endpoint, [{ ...CLIENT, secret: 'new-secret-0123456789' }]);

    expect(await tokenStatus('new-secret-0123456789')).toBe(200);
  });

  it('rejects the old secret after the cache expires', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    expect(await tokenStatus('old-secret-0123456789')).toBe(401);
  });
});
