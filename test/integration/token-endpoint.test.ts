/**
 * The token endpoint over HTTP: the local server in a child process, on a fresh dynalite,
 * with clients registered directly in the table.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';

const FORM = 'application/x-www-form-urlencoded';

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
      scopes: ['reports:read', 'reports:write'],
    },
    {
      clientId: 'svc:billing engine',
      secret: 'p@ss word+/:=%',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      scopes: ['billing'],
      audience: 'https://billing.example.com',
      accessTokenLifetimeSeconds: 120,
    },
    {
      clientId: 'poster',
      secret: 'poster-secret-0123456789',
      tokenEndpointAuthMethod: 'client_secret_post',
      grantTypes: ['client_credentials'],
      scopes: [],
    },
    {
      clientId: 'no-grants',
      secret: 'no-grants-secret-0123456789',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: [],
      scopes: ['reports:read'],
    },
  ]);
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

const reportsAuthorization = () => basicAuthorization('reports', 'reports-secret-0123456789');

async function postToken(
  body: string,
  headers: Record<string, string> = { authorization: reportsAuthorization() },
  contentType = FORM,
) {
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body,
  });
  const text = await response.text();
  return { response, body: JSON.parse(text) as Record<string, unknown> };
}

describe('token endpoint › success', () => {
  it('issues an RFC 9068 access token', async () => {
    const { response, body } = await postToken('grant_type=client_credentials&scope=reports:read');

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(3600);
    expect(body.scope).toBe('reports:read');

    const token = String(body.access_token);
    const header = decodeProtectedHeader(token);
    expect(header.typ).toBe('at+jwt');
    expect(header.alg).toBe('ES256');
    expect(header.kid).toEqual(expect.any(String));

    const claims = decodeJwt(token);
    expect(claims.iss).toBe(server.url);
    expect(claims.sub).toBe('reports');
    expect(claims.client_id).toBe('reports');
    expect(claims.aud).toBe(server.url);
    expect(claims.scope).toBe('reports:read');
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(claims.exp).toBe(Number(claims.iat) + 3600);
  });

  it('grants every allowed scope by default', async () => {
    const { body } = await postToken('grant_type=client_credentials');

    expect(body.scope).toBe('reports:read reports:write');
  });

  it('decodes form-urlencoded Basic credentials', async () => {
    const authorization = basicAuthorization('svc:billing engine', 'p@ss word+/:=%');

    const { response, body } = await postToken('grant_type=client_credentials', { authorization });

    expect(response.status).toBe(200);
    const claims = decodeJwt(String(body.access_token));
    expect(claims.sub).toBe('svc:billing engine');
    expect(claims.aud).toBe('https://billing.example.com');
    expect(body.expires_in).toBe(120);
  });

  it('accepts client_secret_post', async () => {
    const { response, body } = await postToken(
      'grant_type=client_credentials&client_id=poster&client_secret=poster-secret-0123456789',
      {},
    );

    expect(response.status).toBe(200);
    expect(body.scope).toBeUndefined();
    expect(decodeJwt(String(body.access_token)).scope).toBeUndefined();
  });

  it('accepts a matching client_id beside Basic', async () => {
    const { response } = await postToken('grant_type=client_credentials&client_id=reports');

    expect(response.status).toBe(200);
  });

  it('accepts a charset parameter on the media type', async () => {
    const { response } = await postToken(
      'grant_type=client_credentials',
      { authorization: reportsAuthorization() },
      `${FORM}; charset=UTF-8`,
    );

    expect(response.status).toBe(200);
  });
});

describe('token endpoint › malformed requests', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['repeated parameter', 'grant_type=client_credentials&scope=a&scope=b', /'scope' is repeated/],
    ['repeated grant_type', 'grant_type=client_credentials&grant_type=client_credentials', /repeated/],
    ['missing grant_type', 'scope=reports:read', /grant_type parameter is missing/],
    ['empty grant_type', 'grant_type=', /grant_type parameter is missing/],
    ['bad percent escape', 'grant_type=client_credentials&scope=%ZZ', /percent-encoded/],
    ['invalid UTF-8 escape', 'grant_type=client_credentials&scope=%C3%28', /percent-encoded/],
    ['raw non-ASCII byte', 'grant_type=client_credentials&scope=é', /not urlencoded/],
  ];

  for (const [name, requestBody, description] of cases) {
    it(`rejects ${name}`, async () => {
      const { response, body } = await postToken(requestBody);

      expect(response.status).toBe(400);
      expect(body.error).toBe('invalid_request');
      expect(body.error_description).toMatch(description);
      expect(response.headers.get('cache-control')).toBe('no-store');
    });
  }

  it('rejects an unknown grant type', async () => {
    const { response, body } = await postToken('grant_type=urn:example:magic');

    expect(response.status).toBe(400);
    expect(body.error).toBe('unsupported_grant_type');
    expect(body.error_description).toMatch(/'urn:example:magic' is not supported/);
  });

  it('rejects a JSON body', async () => {
    const { response, body } = await postToken(
      JSON.stringify({ grant_type: 'client_credentials' }),
      { authorization: reportsAuthorization() },
      'application/json',
    );

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/must be application\/x-www-form-urlencoded/);
  });

  it('rejects a body without a content type', async () => {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: reportsAuthorization() },
      body: new Uint8Array(Buffer.from('grant_type=client_credentials')),
    });
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });

  it('rejects a body over 64 KiB with 413', async () => {
    const padding = 'x'.repeat(70 * 1024);

    const { response, body } = await postToken(`grant_type=client_credentials&pad=${padding}`);

    expect(response.status).toBe(413);
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/larger than 64 KiB/);
  });

  it('rejects GET with 405 and Allow', async () => {
    const response = await fetch(`${server.url}/token?grant_type=client_credentials`);
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(body.error).toBe('invalid_request');
  });

  it('answers an unknown path with 404', async () => {
    const response = await fetch(`${server.url}/no/such/endpoint`);
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(404);
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/No endpoint at \/no\/such\/endpoint/);
  });
});

describe('token endpoint › client authentication', () => {
  it('rejects a wrong Basic secret with 401', async () => {
    const authorization = basicAuthorization('reports', 'wrong-secret');

    const { response, body } = await postToken('grant_type=client_credentials', { authorization });

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toBe('Client authentication failed.');
  });

  it('rejects an unknown client like a wrong secret', async () => {
    const authorization = basicAuthorization('nobody', 'reports-secret-0123456789');

    const { response, body } = await postToken('grant_type=client_credentials', { authorization });

    expect(response.status).toBe(401);
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toBe('Client authentication failed.');
  });

  it('rejects a request without authentication', async () => {
    const { response, body } = await postToken('grant_type=client_credentials', {});

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(body.error).toBe('invalid_client');
  });

  it('rejects malformed Basic credentials', async () => {
    const { response, body } = await postToken('grant_type=client_credentials', {
      authorization: 'Basic !!!not-base64',
    });

    expect(response.status).toBe(401);
    expect(body.error).toBe('invalid_client');
  });

  it('rejects two authentication methods at once', async () => {
    const { response, body } = await postToken(
      'grant_type=client_credentials&client_id=reports&client_secret=reports-secret-0123456789',
    );

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/more than one authentication method/);
  });

  it('rejects a body client_id that differs from Basic', async () => {
    const { response, body } = await postToken('grant_type=client_credentials&client_id=poster');

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });

  it('rejects the method the client did not register', async () => {
    const authorization = basicAuthorization('poster', 'poster-secret-0123456789');

    const { response, body } = await postToken('grant_type=client_credentials', { authorization });

    expect(response.status).toBe(401);
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toMatch(/must authenticate with client_secret_post/);
  });
});

describe('token endpoint › grant checks', () => {
  it('rejects a scope the client may not request', async () => {
    const { response, body } = await postToken('grant_type=client_credentials&scope=admin');

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_scope');
    expect(body.error_description).toMatch(/admin/);
  });

  it('rejects a client without the grant type', async () => {
    const authorization = basicAuthorization('no-grants', 'no-grants-secret-0123456789');

    const { response, body } = await postToken('grant_type=client_credentials', { authorization });

    expect(response.status).toBe(400);
    expect(body.error).toBe('unauthorized_client');
  });
});
