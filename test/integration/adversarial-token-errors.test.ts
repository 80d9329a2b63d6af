/**
 * Error responses of the token endpoint and the fallback route. They must not reveal whether a
 * client id is registered, and must follow RFC 6749 section 5.2 in characters and in shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';

const FORM = 'application/x-www-form-urlencoded';

/** The error_description grammar of RFC 6749 section 5.2: 1*( %x20-21 / %x23-5B / %x5D-7E ). */
const ERROR_DESCRIPTION = /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/;

let table: TestTable;
let server: TestServer;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      clientId: 'reports',
      secret: 'reports-secret-0123456789',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      scopes: ['reports:read'],
    },
  ]);
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

async function post(path: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': FORM, ...headers },
    body,
  });
  return { response, text: await response.text() };
}

describe('adversarial › error_description characters (RFC 6749 section 5.2)', () => {
  const cases: Array<[string, string, string]> = [
    ['a quoted scope', '/token', 'grant_type=client_credentials&scope=%22api%22'],
    ['a scope with a backslash', '/token', 'grant_type=client_credentials&scope=a%5Cb'],
    ['a long grant_type', '/token', `grant_type=${'x'.repeat(60)}`],
    ['a long repeated parameter', '/token', `${'n'.repeat(60)}=1&${'n'.repeat(60)}=2`],
    ['a long unknown path', `/${'a'.repeat(300)}`, ''],
  ];

  for (const [name, path, body] of cases) {
    it(`uses allowed characters for ${name}`, async () => {
      const { response, text } = await post(path, body, {
        authorization: basicAuthorization('reports', 'reports-secret-0123456789'),
      });
      const parsed = JSON.parse(text) as { error: string; error_description: string };

      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(parsed.error_description).toMatch(ERROR_DESCRIPTION);
    });
  }
});

describe('adversarial › request bodies over the server limit', () => {
  it('returns 413 as an OAuth error', async () => {
    const { response, text } = await post('/token', new Uint8Array(10 * 1024 * 1024 + 1));
    const parsed = JSON.parse(text) as Record<string, unknown>;

    expect(response.status).toBe(413);
    expect(parsed).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
  });
});
