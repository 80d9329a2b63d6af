/**
 * The implicit flow over HTTP, a legacy option that is off by default. A client that did not
 * register it gets `unsupported_response_type` in the query, as before. A client that did
 * gets its tokens, or its errors, in the redirect URI's fragment.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  UserAgent,
  type PageResponse,
  type UserCredentials,
} from '../support/authorization-flow.ts';
import { registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { registerPublicClients } from '../support/public-clients.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const LEGACY_REDIRECT_URI = 'https://legacy.example.com/cb';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };

let table: TestTable;
let server: TestServer;
let aliceId: string;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      clientId: 'web-app',
      secret: 'web-app-secret-0123456789',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['authorization_code'],
      responseTypes: ['code'],
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'api:read'],
      skipConsent: true,
    },
  ]);
  await registerPublicClients(table.endpoint, [
    {
      clientId: 'legacy-spa',
      grantTypes: ['implicit'],
      responseTypes: ['token', 'id_token token'],
      redirectUris: [LEGACY_REDIRECT_URI],
      scopes: ['openid', 'api:read'],
      idTokenSignedResponseAlg: 'RS256',
    },
  ]);
  aliceId = await createUser(table.endpoint, ALICE.username, ALICE.password);
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

function legacyRequest(changes: Record<string, string> = {}): Record<string, string> {
  return {
    response_type: 'id_token token',
    client_id: 'legacy-spa',
    redirect_uri: LEGACY_REDIRECT_URI,
    scope: 'openid api:read',
    state: 'implicit-state',
    nonce: 'implicit-nonce',
    ...changes,
  };
}

/** Splits the redirect of a response into its target, query and fragment parameters. */
function readRedirect(page: PageResponse) {
  const location = page.response.headers.get('location');
  if (location === null) throw new Error(`No redirect, status ${page.response.status}`);
  const url = new URL(location);
  return {
    target: `${url.origin}${url.pathname}`,
    query: url.searchParams,
    fragment: new URLSearchParams(url.hash.slice(1)),
  };
}

describe('implicit › disabled', () => {
  it.each(['token', 'id_token token'])('rejects %s in query', async (responseType) => {
    const page = await new UserAgent(server.url).authorize({
      response_type: responseType,
      client_id: 'web-app',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 'disabled-state',
      nonce: 'n',
    });
    const { target, query, fragment } = readRedirect(page);

    expect(page.response.status).toBe(302);
    expect(target).toBe(REDIRECT_URI);
    expect(query.get('error')).toBe('unsupported_response_type');
    expect(query.get('state')).toBe('disabled-state');
    expect([...fragment.keys()]).toEqual([]);
  });
});

describe('implicit › enabled', () => {
  it('returns tokens in fragment after consent', async () => {
    const browser = new UserAgent(server.url);

    const last = await browser.completeFlow(legacyRequest(), ALICE);
    const { target, query, fragment } = readRedirect(last);

    expect(last.response.status).toBe(303);
    expect(last.response.headers.get('cache-control')).toBe('no-store');
    expect(target).toBe(LEGACY_REDIRECT_URI);
    expect([...query.keys()]).toEqual([]);
    expect(fragment.get('token_type')).toBe('Bearer');
    expect(fragment.get('expires_in')).toBe('3600');
    expect(fragment.get('scope')).toBe('openid api:read');
    expect(fragment.get('state')).toBe('implicit-state');
    expect(fragment.get('iss')).toBe(server.url);
    expect(fragment.has('code')).toBe(false);
    expect(fragment.has('refresh_token')).toBe(false);

    const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks.json`));
    const accessToken = fragment.get('access_token') ?? '';
    const access = await jwtVerify(accessToken, jwks, { issuer: server.url, typ: 'at+jwt' });
    expect(access.payload.sub).toBe(aliceId);
    expect(access.payload.client_id).toBe('legacy-spa');

    const id = await jwtVerify(fragment.get('id_token') ?? '', jwks, {
      issuer: server.url,
      audience: 'legacy-spa',
      algorithms: ['RS256'],
    });
    const expectedHash = createHash('sha256').update(accessToken).digest().subarray(0, 16);
    expect(id.payload.nonce).toBe('implicit-nonce');
    expect(id.payload.at_hash).toBe(expectedHash.toString('base64url'));
  });

  it('returns access token alone for token', async () => {
    const browser = new UserAgent(server.url);

    const last = await browser.completeFlow(legacyRequest({ response_type: 'token' }), ALICE);
    const { fragment } = readRedirect(last);

    expect(fragment.has('access_token')).toBe(true);
    expect(fragment.has('id_token')).toBe(false);
  });

  it('redirects at once when signed in and consented', async () => {
    const browser = new UserAgent(server.url);
    await browser.completeFlow(legacyRequest(), ALICE);

    const page = await browser.authorize(legacyRequest({ state: 'second' }));
    const { fragment } = readRedirect(page);

    expect(page.response.status).toBe(302);
    expect(fragment.get('state')).toBe('second');
    expect(fragment.has('access_token')).toBe(true);
  });

  it('sends missing nonce error in fragment', async () => {
    const request = legacyRequest();
    delete request.nonce;

    const page = await new UserAgent(server.url).authorize(request);
    const { query, fragment } = readRedirect(page);

    expect([...query.keys()]).toEqual([]);
    expect(fragment.get('error')).toBe('invalid_request');
    expect(fragment.get('error_description')).toBe(
      'The nonce parameter is required with response_type id_token token.',
    );
    expect(fragment.get('state')).toBe('implicit-state');
    expect(fragment.get('iss')).toBe(server.url);
  });

  it('sends denial in fragment', async () => {
    const request = legacyRequest({ prompt: 'consent' });

    const last = await new UserAgent(server.url).completeFlow(request, ALICE, 'deny');
    const { fragment } = readRedirect(last);

    expect(fragment.get('error')).toBe('access_denied');
    expect(fragment.get('state')).toBe('implicit-state');
  });

  it('sends login_required in fragment', async () => {
    const page = await new UserAgent(server.url).authorize(legacyRequest({ prompt: 'none' }));
    const { fragment } = readRedirect(page);

    expect(fragment.get('error')).toBe('login_required');
  });
});
