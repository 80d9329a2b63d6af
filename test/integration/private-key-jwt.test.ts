/**
 * `private_key_jwt` client authentication over HTTP: real clients (oauth4webapi and
 * openid-client) sign assertions with keys generated here, and hand-made assertions probe the
 * rejections. The used-jti item is also checked directly in the table.
 */
import { randomUUID } from 'node:crypto';
import {
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import * as oauth from 'oauth4webapi';
import * as openidClient from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredClient } from '../../functions/oauth/client.ts';
import { systemClock } from '../../functions/oauth/clock.ts';
import { ClientAssertionRepository } from '../../functions/storage/client-assertion-repository.ts';
import { ClientRepository } from '../../functions/storage/client-repository.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import {
  LOCAL_CREDENTIALS,
  startTestTable,
  TEST_REGION,
  TEST_TABLE,
  type TestTable,
} from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { postToken, type TokenResult } from '../support/token-requests.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const SERVICE = 'ledger-service';
const MULTI_KEY_SERVICE = 'audit-service';
const SECRET_CLIENT = { id: 'reports', secret: 'reports-secret-0123456789' };

interface KeyPair {
  privateKey: CryptoKey;
  publicJwk: JWK;
}

let table: TestTable;
let server: TestServer;
let es256: KeyPair;
let ed25519: KeyPair;
let rs256: KeyPair;
let secondEs256: KeyPair;

async function keyPair(algorithm: string, kid: string): Promise<KeyPair> {
  const options = algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {};
  const { privateKey, publicKey } = await generateKeyPair(algorithm, options);
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}

function jwtClient(clientId: string, keys: JWK[]): RegisteredClient {
  return {
    clientId,
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: { keys },
    grantTypes: ['client_credentials'],
    scopes: ['ledger:read', 'ledger:write'],
  };
}

async function registerJwtClients(endpoint: string, clients: RegisteredClient[]): Promise<void> {
  const documents = createDocumentClient({
    region: TEST_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  const repository = new ClientRepository(documents, TEST_TABLE, systemClock);
  for (const client of clients) await repository.saveClient(client);
  documents.destroy();
}

beforeAll(async () => {
  [es256, ed25519, rs256, secondEs256] = await Promise.all([
    keyPair('ES256', 'es-1'),
    keyPair('EdDSA', 'ed-1'),
    keyPair('RS256', 'rs-1'),
    keyPair('ES256', 'es-2'),
  ]);
  table = await startTestTable();
  await registerJwtClients(table.endpoint, [
    jwtClient(SERVICE, [es256.publicJwk, ed25519.publicJwk, rs256.publicJwk]),
    jwtClient(MULTI_KEY_SERVICE, [es256.publicJwk, secondEs256.publicJwk]),
  ]);
  await registerClients(table.endpoint, [
    {
      clientId: SECRET_CLIENT.id,
      secret: SECRET_CLIENT.secret,
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

async function verifyAccessToken(token: string, jwksUri: string) {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(jwksUri)), {
    issuer: server.url,
    audience: server.url,
    typ: 'at+jwt',
    algorithms: ['ES256'],
  });
  return payload;
}

describe('oauth4webapi with PrivateKeyJwt', () => {
  const discover = async () => {
    const issuer = new URL(server.url);
    const response = await oauth.discoveryRequest(issuer, {
      algorithm: 'oauth2',
      [oauth.allowInsecureRequests]: true,
    });
    return oauth.processDiscoveryResponse(issuer, response);
  };

  const clientCredentials = async (
    authorizationServer: oauth.AuthorizationServer,
    key: KeyPair,
  ) => {
    const client: oauth.Client = { client_id: SERVICE };
    const authentication = oauth.PrivateKeyJwt({ key: key.privateKey, kid: key.publicJwk.kid });
    const response = await oauth.clientCredentialsGrantRequest(
      authorizationServer,
      client,
      authentication,
      { scope: 'ledger:read' },
      { [oauth.allowInsecureRequests]: true },
    );
    return oauth.processClientCredentialsResponse(authorizationServer, client, response);
  };

  it('discovers private_key_jwt', async () => {
    const authorizationServer = await discover();

    expect(authorizationServer.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(authorizationServer.token_endpoint_auth_signing_alg_values_supported).toEqual(
      expect.arrayContaining(['ES256', 'Ed25519', 'RS256']),
    );
  });

  it('obtains token with ES256 key', async () => {
    const authorizationServer = await discover();

    const tokens = await clientCredentials(authorizationServer, es256);

    expect(tokens.scope).toBe('ledger:read');
    const jwksUri = String(authorizationServer.jwks_uri);
    const claims = await verifyAccessToken(tokens.access_token, jwksUri);
    expect(claims.sub).toBe(SERVICE);
    expect(claims.client_id).toBe(SERVICE);
  });

  it('obtains token with Ed25519 key', async () => {
    const authorizationServer = await discover();

    const tokens = await clientCredentials(authorizationServer, ed25519);

    const jwksUri = String(authorizationServer.jwks_uri);
    const claims = await verifyAccessToken(tokens.access_token, jwksUri);
    expect(claims.sub).toBe(SERVICE);
  });

  it('reports unregistered key as invalid_client', async () => {
    const authorizationServer = await discover();
    const stranger = await keyPair('ES256', 'es-1');

    const error = await clientCredentials(authorizationServer, stranger).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(oauth.ResponseBodyError);
    const bodyError = error as oauth.ResponseBodyError;
    expect(bodyError.status).toBe(401);
    expect(bodyError.error).toBe('invalid_client');
  });
});

describe('openid-client with PrivateKeyJwt', () => {
  it('obtains token with RS256 key', async () => {
    const configuration = await openidClient.discovery(
      new URL(server.url),
      SERVICE,
      undefined,
      openidClient.PrivateKeyJwt({ key: rs256.privateKey, kid: 'rs-1' }),
      { execute: [openidClient.allowInsecureRequests] },
    );

    const tokens = await openidClient.clientCredentialsGrant(configuration);

    const jwksUri = String(configuration.serverMetadata().jwks_uri);
    const claims = await verifyAccessToken(tokens.access_token, jwksUri);
    expect(claims.sub).toBe(SERVICE);
    expect(claims.scope).toBe('ledger:read ledger:write');
  });
});

describe('client assertion rejections', () => {
  const now = () => Math.floor(Date.now() / 1000);

  function claims(overrides: JWTPayload = {}): JWTPayload {
    return {
      iss: SERVICE,
      sub: SERVICE,
      aud: `${server.url}/token`,
      jti: randomUUID(),
      iat: now(),
      exp: now() + 60,
      ...overrides,
    };
  }

  function sign(
    payload: JWTPayload,
    key: KeyPair = es256,
    header: Partial<JWTHeaderParameters> = {},
  ): Promise<string> {
    const protectedHeader = { alg: 'ES256', kid: key.publicJwk.kid, ...header };
    return new SignJWT(payload).setProtectedHeader(protectedHeader).sign(key.privateKey);
  }

  function sendAssertion(assertion: string, extra: Record<string, string> = {}) {
    return postToken(server.url, {
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
      ...extra,
    });
  }

  function expectInvalidClient({ response, body }: TokenResult, description: string | RegExp) {
    expect(response.status).toBe(401);
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toMatch(description);
    expect(response.headers.get('www-authenticate')).toBeNull();
  }

  const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('accepts hand-signed assertion', async () => {
    const { response, body } = await sendAssertion(await sign(claims()), { client_id: SERVICE });

    expect(response.status).toBe(200);
    expect(body.token_type).toBe('Bearer');
  });

  it('rejects replayed assertion', async () => {
    const assertion = await sign(claims());
    const first = await sendAssertion(assertion);

    const second = await sendAssertion(assertion);

    expect(first.response.status).toBe(200);
    expectInvalidClient(
      second,
      'The client_assertion was already used: sign a new one with a new jti.',
    );
  });

  it('rejects wrong audience', async () => {
    const result = await sendAssertion(await sign(claims({ aud: 'https://elsewhere.example' })));

    expectInvalidClient(
      result,
      `The client_assertion aud claim must contain ${server.url}/token or ${server.url}.`,
    );
  });

  it('rejects alg none', async () => {
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims())}.`;

    const result = await sendAssertion(unsigned);

    expectInvalidClient(result, /^The client_assertion is not signed \(alg none\)/);
  });

  it('rejects HS256 with a secret', async () => {
    const secret = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes');
    const assertion = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', kid: 'es-1' })
      .sign(secret);

    const result = await sendAssertion(assertion);

    expectInvalidClient(result, /^The client_assertion uses HS256, an HMAC algorithm/);
  });

  it('rejects unknown kid', async () => {
    const assertion = await sign(
      claims({ iss: MULTI_KEY_SERVICE, sub: MULTI_KEY_SERVICE }),
      es256,
      { kid: 'es-9' },
    );

    const result = await sendAssertion(assertion);

    expectInvalidClient(result, "No key in the client's jwks matches the assertion's kid and alg.");
  });

  it('rejects ambiguous missing kid', async () => {
    const payload = claims({ iss: MULTI_KEY_SERVICE, sub: MULTI_KEY_SERVICE });
    const assertion = await sign(payload, es256, { kid: undefined });

    const result = await sendAssertion(assertion);

    expectInvalidClient(result, /^Several keys in the client's jwks match the assertion/);
  });

  it('rejects expired assertion', async () => {
    const result = await sendAssertion(await sign(claims({ iat: now() - 120, exp: now() - 60 })));

    expectInvalidClient(result, 'The client_assertion has expired.');
  });

  it('rejects too-long lifetime', async () => {
    const result = await sendAssertion(await sign(claims({ exp: now() + 3600 })));

    expectInvalidClient(result, /^The client_assertion is valid for 3600 seconds, more than/);
  });

  it('rejects assertion with Basic', async () => {
    const { response, body } = await postToken(
      server.url,
      {
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await sign(claims()),
      },
      { authorization: basicAuthorization(SECRET_CLIENT.id, SECRET_CLIENT.secret) },
    );

    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/more than one authentication method/);
  });

  it('rejects secret for jwt client', async () => {
    const { response, body } = await postToken(
      server.url,
      { grant_type: 'client_credentials' },
      { authorization: basicAuthorization(SERVICE, 'guessed-secret') },
    );

    expect(response.status).toBe(401);
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toBe(
      'The client must authenticate with private_key_jwt, not client_secret_basic.',
    );
  });

  it('rejects assertion for secret client', async () => {
    const payload = claims({ iss: SECRET_CLIENT.id, sub: SECRET_CLIENT.id });

    const result = await sendAssertion(await sign(payload));

    expectInvalidClient(
      result,
      'The client must authenticate with client_secret_basic, not private_key_jwt.',
    );
  });
});

describe('ClientAssertionRepository', () => {
  function repository() {
    const documents = createDocumentClient({
      region: TEST_REGION,
      endpoint: table.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    return { documents, assertions: new ClientAssertionRepository(documents, TEST_TABLE) };
  }

  it('records a jti once', async () => {
    const { documents, assertions } = repository();
    const use = { jtiHash: randomUUID(), clientId: SERVICE, expiresAt: 2_000, now: 1_000 };

    const first = await assertions.recordUse(use);
    const second = await assertions.recordUse({ ...use, now: 1_500 });

    documents.destroy();
    expect(first).toBe(true);
    expect(second).toBe(false);
  });

  it('records again after expiry', async () => {
    const { documents, assertions } = repository();
    const use = { jtiHash: randomUUID(), clientId: SERVICE, expiresAt: 2_000, now: 1_000 };
    await assertions.recordUse(use);

    const again = await assertions.recordUse({ ...use, now: 2_000, expiresAt: 2_300 });

    documents.destroy();
    expect(again).toBe(true);
  });
});
