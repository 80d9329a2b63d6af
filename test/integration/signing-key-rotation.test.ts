/**
 * Rotation and revocation of the local server's signing keys through
 * SigningKeyAdministration, as the administration command does, with the server's own table
 * and key file. The server keeps its keys in memory for 1 second (MEMORY_CACHE_SECONDS=1), so
 * a change reaches it after that second; deployed functions keep them for 60 seconds.
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFileKeyEncryption } from '../../functions/crypto/local-file-key-encryption.ts';
import { systemClock } from '../../functions/oauth/clock.ts';
import {
  SigningKeyAdministration,
  signingKeyLifecycleSettings,
} from '../../functions/oauth/signing-key-administration.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { SigningKeyRepository } from '../../functions/storage/signing-key-repository.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import {
  LOCAL_CREDENTIALS,
  startTestTable,
  TEST_REGION,
  TEST_TABLE,
  type TestTable,
} from '../support/dynalite.ts';
import {
  startServer,
  TEST_KEY_ENCRYPTION_KEY_FILE,
  type TestServer,
} from '../support/local-server.ts';
import { postToken } from '../support/token-requests.ts';

const CACHE_SECONDS = 1;
/** Long enough for the server's cached key set to expire. */
const CACHE_EXPIRY_MILLISECONDS = CACHE_SECONDS * 1000 + 200;

const SERVICE = { clientId: 'service', secret: 'service-secret-0123456789' };
const RESOURCE_SERVER = {
  clientId: 'resource-server',
  secret: 'resource-server-secret-0123456789',
};

let table: TestTable;
let server: TestServer;
let documents: ReturnType<typeof createDocumentClient>;
let administration: SigningKeyAdministration;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      ...SERVICE,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      scopes: ['api:read'],
    },
    {
      ...RESOURCE_SERVER,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: [],
      scopes: [],
      introspection: true,
    },
  ]);
  server = await startServer({
    DYNAMODB_ENDPOINT: table.endpoint,
    TABLE_NAME: TEST_TABLE,
    MEMORY_CACHE_SECONDS: String(CACHE_SECONDS),
  });
  documents = createDocumentClient({
    region: TEST_REGION,
    endpoint: table.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  administration = new SigningKeyAdministration(
    new SigningKeyRepository(documents, TEST_TABLE),
    LocalFileKeyEncryption.fromFile(TEST_KEY_ENCRYPTION_KEY_FILE),
    systemClock,
    signingKeyLifecycleSettings({
      keyRotationDays: 30,
      accessTokenLifetimeSeconds: 3_600,
      idTokenLifetimeSeconds: 300,
      memoryCacheSeconds: CACHE_SECONDS,
    }),
  );
});

afterAll(async () => {
  documents?.destroy();
  await server?.stop();
  await table?.close();
});

function waitForCacheExpiry(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, CACHE_EXPIRY_MILLISECONDS));
}

async function serviceToken(): Promise<string> {
  const { body } = await postToken(
    server.url,
    { grant_type: 'client_credentials', scope: 'api:read' },
    { authorization: basicAuthorization(SERVICE.clientId, SERVICE.secret) },
  );
  if (typeof body.access_token !== 'string') {
    throw new Error(`The token request returned no token: ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuthorization(RESOURCE_SERVER.clientId, RESOURCE_SERVER.secret),
    },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function publishedKids(): Promise<string[]> {
  const response = await fetch(`${server.url}/jwks.json`);
  const { keys } = (await response.json()) as { keys: JWK[] };
  return keys.map((key) => String(key.kid));
}

function kidOf(token: string): string {
  return String(decodeProtectedHeader(token).kid);
}

describe('signing key rotation', () => {
  // The first two tests rotate to a key that no JWKS has published yet, as `rotate --immediate`
  // without a next key does, so the clients must fetch the key set again for its kid.
  it('keeps remote JWKS valid across rotation', async () => {
    // jose fetches the key set again for an unknown kid, but at most once per
    // cooldownDuration (30 s by default), shortened here to the server's cache time.
    const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks.json`), {
      cooldownDuration: CACHE_SECONDS * 1000,
    });
    const options = { issuer: server.url, audience: server.url, typ: 'at+jwt' };
    const before = await serviceToken();
    await jwtVerify(before, jwks, options);

    const result = await administration.rotate('ES256', { immediate: true });
    await waitForCacheExpiry();
    const after = await serviceToken();

    expect(result.promoted).toBe(result.created);
    expect(kidOf(after)).toBe(result.promoted);
    await expect(jwtVerify(after, jwks, options)).resolves.toHaveProperty('payload');
    await expect(jwtVerify(before, jwks, options)).resolves.toHaveProperty('payload');
  });

  it('keeps oauth4webapi validation working across rotation', async () => {
    const issuer = new URL(server.url);
    const discovery = await oauth.discoveryRequest(issuer, {
      [oauth.allowInsecureRequests]: true,
    });
    const authorizationServer = await oauth.processDiscoveryResponse(issuer, discovery);
    const cache = {} as oauth.JWKSCacheInput;
    const validate = (token: string) =>
      oauth.validateJwtAccessToken(
        // A copy, so that each call starts from `cache` rather than from oauth4webapi's own
        // memory, which is kept per authorization server object.
        { ...authorizationServer },
        new Request(`${server.url}/api`, { headers: { authorization: `Bearer ${token}` } }),
        server.url,
        { [oauth.jwksCache]: cache, [oauth.allowInsecureRequests]: true },
      );
    const before = await serviceToken();
    await validate(before);

    const result = await administration.rotate('ES256', { immediate: true });
    await waitForCacheExpiry();
    const after = await serviceToken();
    // oauth4webapi fetches the key set again for an unknown kid once its copy is 60 s old.
    const filled = cache as oauth.ExportedJWKSCache;
    expect(filled.jwks.keys.map((key) => key.kid)).not.toContain(result.promoted);
    filled.uat -= 60;

    expect(kidOf(after)).toBe(result.promoted);
    await expect(validate(after)).resolves.toHaveProperty('sub', SERVICE.clientId);
    await expect(validate(before)).resolves.toHaveProperty('sub', SERVICE.clientId);
  });

  it('publishes next key before it signs', async () => {
    const signingKid = kidOf(await serviceToken());

    const result = await administration.rotate('ES256');
    await waitForCacheExpiry();

    expect(result).toEqual({ created: expect.any(String) });
    expect(await publishedKids()).toContain(result.created);
    expect(kidOf(await serviceToken())).toBe(signingKid);
  });
});

describe('signing key revocation', () => {
  it('makes tokens inactive after cache expiry', async () => {
    const token = await serviceToken();
    const kid = kidOf(token);
    expect(await introspect(token)).toHaveProperty('active', true);

    await administration.revoke(kid);
    await waitForCacheExpiry();

    expect(await introspect(token)).toEqual({ active: false });
    expect(await publishedKids()).not.toContain(kid);
  });

  it('signs new tokens with replacement key', async () => {
    const token = await serviceToken();
    await administration.revoke(kidOf(token));
    await waitForCacheExpiry();

    const replacement = await serviceToken();

    expect(kidOf(replacement)).not.toBe(kidOf(token));
    expect(await introspect(replacement)).toHaveProperty('active', true);
    expect(await publishedKids()).toContain(kidOf(replacement));
  });
});
