/** The metadata documents and the JWKS over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';

let table: TestTable;
let server: TestServer;

beforeAll(async () => {
  table = await startTestTable();
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

async function getJson(path: string) {
  const response = await fetch(`${server.url}${path}`);
  return { response, body: (await response.json()) as Record<string, unknown> };
}

describe('discovery', () => {
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    it(`serves ${path}`, async () => {
      const { response, body } = await getJson(path);

      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
      expect(body).toEqual({
        issuer: server.url,
        authorization_endpoint: `${server.url}/authorize`,
        token_endpoint: `${server.url}/token`,
        jwks_uri: `${server.url}/jwks.json`,
        grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      });
    });
  }

  it('rejects POST on metadata with 405', async () => {
    const response = await fetch(`${server.url}/.well-known/oauth-authorization-server`, {
      method: 'POST',
    });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });
});

describe('jwks', () => {
  it('publishes only public keys', async () => {
    const { response, body } = await getJson('/jwks.json');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/jwk-set\+json/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const keys = body.keys as Array<Record<string, unknown>>;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('serves the same key on every request', async () => {
    const first = await getJson('/jwks.json');
    const second = await getJson('/jwks.json');

    expect(second.body).toEqual(first.body);
  });
});
