/**
 * Storage faults: the table's dynalite stops while the server runs, so every table call fails
 * with a refused connection after the SDK's retries. Requests that need the table get 503
 * with Retry-After; requests that do not, still succeed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../support/clients.ts';
import { startTestTable, TEST_TABLE } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';

let server: TestServer;

beforeAll(async () => {
  const table = await startTestTable();
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
  await table.close();
});

afterAll(async () => {
  await server?.stop();
});

describe('storage faults', () => {
  it('answers a token request with 503', async () => {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuthorization('reports', 'secret'),
      },
      body: 'grant_type=client_credentials',
    });
    const text = await response.text();
    const body = JSON.parse(text) as Record<string, unknown>;

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(body.error).toBe('temporarily_unavailable');
    expect(text).not.toMatch(/ECONNREFUSED|at .*\.ts:\d+|DynamoDB/);
  });

  it('answers the JWKS with 503', async () => {
    const response = await fetch(`${server.url}/jwks.json`);

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it('still serves metadata', async () => {
    const response = await fetch(`${server.url}/.well-known/oauth-authorization-server`);

    expect(response.status).toBe(200);
  });
});
