/** The metadata documents and the JWKS over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';

/** The signature algorithms accepted in private_key_jwt client assertions. */
const ASSERTION_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** The members that only the OpenID Connect discovery document has. */
function openIdMembers(path: string): Record<string, unknown> {
  if (path !== '/.well-known/openid-configuration') return {};
  return {
    userinfo_endpoint: `${server.url}/userinfo`,
    end_session_endpoint: `${server.url}/logout`,
    scopes_supported: ['openid', 'profile', 'email'],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'azp',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'at_hash',
      'amr',
      'name',
      'email',
      'email_verified',
    ],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256', 'RS256', 'EdDSA'],
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
  };
}

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
        ...openIdMembers(path),
        issuer: server.url,
        authorization_endpoint: `${server.url}/authorize`,
        token_endpoint: `${server.url}/token`,
        jwks_uri: `${server.url}/jwks.json`,
        grant_types_supported: [
          'authorization_code',
          'client_credentials',
          'refresh_token',
          'password',
          'implicit',
        ],
        response_types_supported: ['code', 'token', 'id_token token'],
        response_modes_supported: ['query', 'fragment'],
        token_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
          'none',
          'private_key_jwt',
        ],
        token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
        revocation_endpoint: `${server.url}/revoke`,
        revocation_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
          'none',
          'private_key_jwt',
        ],
        revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
        introspection_endpoint: `${server.url}/introspect`,
        introspection_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
          'private_key_jwt',
        ],
        introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
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
    expect(keys.map((key) => key.alg)).toEqual(['ES256', 'RS256', 'EdDSA']);
    const [ecKey, rsaKey, edKey] = keys;
    expect(ecKey).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig' });
    expect(rsaKey).toMatchObject({ kty: 'RSA', e: 'AQAB', use: 'sig' });
    expect(edKey).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig' });
    for (const key of keys) {
      expect(key).not.toHaveProperty('d');
      expect(key).not.toHaveProperty('p');
    }
  });

  it('serves the same key on every request', async () => {
    const first = await getJson('/jwks.json');
    const second = await getJson('/jwks.json');

    expect(second.body).toEqual(first.body);
  });
});
