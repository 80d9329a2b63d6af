/**
 * The authorization endpoint's errors over HTTP. Until the client and its redirect URI are
 * verified, an error is a page for the user and never a redirect (RFC 6749 section 4.1.2.1).
 * After that, it goes back to the client's redirect URI with `error`, `error_description`,
 * `state` and `iss` (RFC 9207).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationUrl,
  errorPageMessage,
  newPkcePair,
  UserAgent,
  type PageResponse,
} from '../support/authorization-flow.ts';
import { registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { registerPublicClients } from '../support/public-clients.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const SPA_REDIRECT_URI = 'https://spa.example.com/cb';
const SERVICE_REDIRECT_URI = 'https://service.example.com/cb';
const STATE = 'state with spaces/+&=?é';
const ALICE = { username: 'alice', password: 'alice-password-0123' };

let table: TestTable;
let server: TestServer;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      clientId: 'web-app',
      secret: 'web-app-secret-0123456789',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'api:read'],
    },
    {
      clientId: 'service',
      secret: 'service-secret-0123456789',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      responseTypes: ['code'],
      redirectUris: [SERVICE_REDIRECT_URI],
      scopes: ['api:read'],
    },
  ]);
  await registerPublicClients(table.endpoint, [
    {
      clientId: 'native-app',
      grantTypes: ['authorization_code'],
      responseTypes: ['code'],
      redirectUris: ['http://127.0.0.1/callback'],
      scopes: ['api:read'],
    },
    {
      clientId: 'native-app-v6',
      grantTypes: ['authorization_code'],
      responseTypes: ['code'],
      redirectUris: ['http://[::1]/callback'],
      scopes: ['api:read'],
    },
    {
      clientId: 'spa',
      grantTypes: ['authorization_code'],
      responseTypes: ['code'],
      redirectUris: [SPA_REDIRECT_URI],
      scopes: ['api:read'],
    },
  ]);
  await createUser(table.endpoint, ALICE.username, ALICE.password);
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

/** Returns a valid request of the confidential client `web-app`, without PKCE. */
function webAppRequest(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    response_type: 'code',
    client_id: 'web-app',
    redirect_uri: REDIRECT_URI,
    scope: 'api:read',
    state: STATE,
    ...overrides,
  };
}

/** Returns a valid request of a public client, with PKCE. */
function publicClientRequest(clientId: string, redirectUri: string): Record<string, string> {
  return {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: newPkcePair().challenge,
    code_challenge_method: 'S256',
  };
}

function without(parameters: Record<string, string>, name: string): Record<string, string> {
  const { [name]: _removed, ...rest } = parameters;
  return rest;
}

/** Splits a redirect to the client into the redirect URI and its response parameters. */
function readRedirect(page: PageResponse): { target: string; parameters: URLSearchParams } {
  const url = new URL(page.response.headers.get('location') ?? 'invalid:');
  return { target: `${url.origin}${url.pathname}`, parameters: url.searchParams };
}

describe('authorization endpoint › error page', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['missing client_id', without(webAppRequest(), 'client_id'), /client_id parameter is missing/],
    ['unknown client', webAppRequest({ client_id: 'nobody' }), /client 'nobody' is not registered/],
    ['missing redirect_uri', without(webAppRequest(), 'redirect_uri'), /redirect_uri parameter is missing/],
    [
      'unregistered redirect_uri',
      webAppRequest({ redirect_uri: 'https://other.example.com/cb' }),
      /redirect_uri 'https:\/\/other\.example\.com\/cb' is not registered for this client/,
    ],
    [
      'unregistered redirect_uri before other errors',
      webAppRequest({ redirect_uri: 'https://other.example.com/cb', response_type: 'token' }),
      /is not registered for this client/,
    ],
  ];

  for (const [name, parameters, description] of cases) {
    it(`shows ${name} without redirecting`, async () => {
      const page = await new UserAgent(server.url).authorize(parameters);

      expect(page.response.status).toBe(400);
      expect(page.response.headers.get('location')).toBeNull();
      expect(page.response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(errorPageMessage(page.body)).toMatch(description);
    });
  }

  it('shows a repeated redirect_uri without redirecting', async () => {
    const url = `${authorizationUrl(server.url, webAppRequest())}&redirect_uri=https%3A%2F%2Fevil.example.com%2Fcb`;

    const page = await new UserAgent(server.url).get(url);

    expect(page.response.status).toBe(400);
    expect(page.response.headers.get('location')).toBeNull();
    expect(errorPageMessage(page.body)).toMatch(/'redirect_uri' is repeated/);
  });

  it('shows a repeated client_id without redirecting', async () => {
    const url = `${authorizationUrl(server.url, webAppRequest())}&client_id=spa`;

    const page = await new UserAgent(server.url).get(url);

    expect(page.response.status).toBe(400);
    expect(page.response.headers.get('location')).toBeNull();
    expect(errorPageMessage(page.body)).toMatch(/'client_id' is repeated/);
  });
});

describe('authorization endpoint › redirect URI matching', () => {
  const variants: Array<[string, string]> = [
    ['added path segment', 'https://app.example.com/cb/extra'],
    ['added query', 'https://app.example.com/cb?next=1'],
    ['changed path case', 'https://app.example.com/CB'],
    ['userinfo before the host', 'https://evil@app.example.com/cb'],
    ['another port', 'https://app.example.com:8443/cb'],
    ['explicit default port', 'https://app.example.com:443/cb'],
    ['percent-encoded path', 'https://app.example.com/c%62'],
    ['trailing slash', 'https://app.example.com/cb/'],
    ['fragment', 'https://app.example.com/cb#section'],
    ['http scheme', 'http://app.example.com/cb'],
  ];

  for (const [name, redirectUri] of variants) {
    it(`rejects ${name}`, async () => {
      const page = await new UserAgent(server.url).authorize(
        webAppRequest({ redirect_uri: redirectUri }),
      );

      expect(page.response.status).toBe(400);
      expect(page.response.headers.get('location')).toBeNull();
      expect(errorPageMessage(page.body)).toMatch(/is not registered for this client/);
    });
  }

  it('accepts the registered URI', async () => {
    const page = await new UserAgent(server.url).authorize(webAppRequest());

    expect(page.response.status).toBe(302);
    expect(page.response.headers.get('location')).toMatch(/\/login\?interaction=/);
  });
});

describe('authorization endpoint › loopback redirect URIs', () => {
  const accepted: Array<[string, string, string]> = [
    ['127.0.0.1 without a port', 'native-app', 'http://127.0.0.1/callback'],
    ['127.0.0.1 on any port', 'native-app', 'http://127.0.0.1:51000/callback'],
    ['[::1] on any port', 'native-app-v6', 'http://[::1]:51000/callback'],
  ];

  for (const [name, clientId, redirectUri] of accepted) {
    it(`accepts ${name}`, async () => {
      const page = await new UserAgent(server.url).authorize(
        publicClientRequest(clientId, redirectUri),
      );

      expect(page.response.status).toBe(302);
      expect(page.response.headers.get('location')).toMatch(/\/login\?interaction=/);
    });
  }

  const rejected: Array<[string, string, string]> = [
    ['[::1] for a 127.0.0.1 registration', 'native-app', 'http://[::1]:51000/callback'],
    ['127.0.0.1 for a [::1] registration', 'native-app-v6', 'http://127.0.0.1:51000/callback'],
    ['localhost', 'native-app', 'http://localhost:51000/callback'],
    ['another path', 'native-app', 'http://127.0.0.1:51000/callback/extra'],
    ['https on loopback', 'native-app', 'https://127.0.0.1:51000/callback'],
    ['userinfo on loopback', 'native-app', 'http://user@127.0.0.1:51000/callback'],
  ];

  for (const [name, clientId, redirectUri] of rejected) {
    it(`rejects ${name}`, async () => {
      const page = await new UserAgent(server.url).authorize(
        publicClientRequest(clientId, redirectUri),
      );

      expect(page.response.status).toBe(400);
      expect(page.response.headers.get('location')).toBeNull();
      expect(errorPageMessage(page.body)).toMatch(/is not registered for this client/);
    });
  }
});

describe('authorization endpoint › error redirect', () => {
  const { challenge } = newPkcePair();
  const cases: Array<[string, Record<string, string>, string, RegExp]> = [
    [
      'missing response_type',
      without(webAppRequest(), 'response_type'),
      'invalid_request',
      /response_type parameter is missing/,
    ],
    [
      'response_type=token',
      webAppRequest({ response_type: 'token' }),
      'unsupported_response_type',
      /'token' is not supported/,
    ],
    [
      'response_type=id_token',
      webAppRequest({ response_type: 'id_token' }),
      'unsupported_response_type',
      /'id_token' is not supported/,
    ],
    [
      'response_type=code id_token',
      webAppRequest({ response_type: 'code id_token' }),
      'unsupported_response_type',
      /'code id_token' is not supported/,
    ],
    [
      'a scope the client may not request',
      webAppRequest({ scope: 'api:read admin' }),
      'invalid_scope',
      /may not request the scope: admin/,
    ],
    [
      'code_challenge_method=plain',
      webAppRequest({ code_challenge: challenge, code_challenge_method: 'plain' }),
      'invalid_request',
      /code_challenge_method must be S256/,
    ],
    [
      'a challenge without a method',
      webAppRequest({ code_challenge: challenge }),
      'invalid_request',
      /code_challenge_method must be S256/,
    ],
    [
      'a method without a challenge',
      webAppRequest({ code_challenge_method: 'S256' }),
      'invalid_request',
      /code_challenge_method is given without code_challenge/,
    ],
    [
      'a malformed challenge',
      webAppRequest({ code_challenge: 'too-short', code_challenge_method: 'S256' }),
      'invalid_request',
      /code_challenge is not a base64url SHA-256 digest/,
    ],
    [
      'a challenge with padding',
      webAppRequest({ code_challenge: `${challenge.slice(0, 42)}=`, code_challenge_method: 'S256' }),
      'invalid_request',
      /code_challenge is not a base64url SHA-256 digest/,
    ],
    [
      'an unsupported prompt',
      webAppRequest({ prompt: 'create' }),
      'invalid_request',
      /prompt value 'create' is not supported/,
    ],
    [
      'prompt=none without a session',
      webAppRequest({ prompt: 'none' }),
      'login_required',
      /not signed in/,
    ],
  ];

  for (const [name, parameters, error, description] of cases) {
    it(`redirects ${name} to the client`, async () => {
      const page = await new UserAgent(server.url).authorize(parameters);
      const { target, parameters: response } = readRedirect(page);

      expect(page.response.status).toBe(302);
      expect(target).toBe(REDIRECT_URI);
      expect(response.get('error')).toBe(error);
      expect(response.get('error_description')).toMatch(description);
      expect(response.get('state')).toBe(STATE);
      expect(response.get('iss')).toBe(server.url);
      expect(response.has('code')).toBe(false);
    });
  }

  it('redirects unauthorized_client', async () => {
    const page = await new UserAgent(server.url).authorize(
      webAppRequest({ client_id: 'service', redirect_uri: SERVICE_REDIRECT_URI }),
    );
    const { target, parameters } = readRedirect(page);

    expect(page.response.status).toBe(302);
    expect(target).toBe(SERVICE_REDIRECT_URI);
    expect(parameters.get('error')).toBe('unauthorized_client');
    expect(parameters.get('error_description')).toMatch(/may not use the authorization code flow/);
    expect(parameters.get('state')).toBe(STATE);
    expect(parameters.get('iss')).toBe(server.url);
  });

  it('redirects a public client without PKCE', async () => {
    const page = await new UserAgent(server.url).authorize(
      webAppRequest({ client_id: 'spa', redirect_uri: SPA_REDIRECT_URI }),
    );
    const { target, parameters } = readRedirect(page);

    expect(page.response.status).toBe(302);
    expect(target).toBe(SPA_REDIRECT_URI);
    expect(parameters.get('error')).toBe('invalid_request');
    expect(parameters.get('error_description')).toMatch(/Public clients must use PKCE/);
    expect(parameters.get('state')).toBe(STATE);
    expect(parameters.get('iss')).toBe(server.url);
  });

  it('omits state when the request had none', async () => {
    const page = await new UserAgent(server.url).authorize(
      without(webAppRequest({ response_type: 'token' }), 'state'),
    );
    const { parameters } = readRedirect(page);

    expect(page.response.status).toBe(302);
    expect(parameters.get('error')).toBe('unsupported_response_type');
    expect(parameters.has('state')).toBe(false);
    expect(parameters.get('iss')).toBe(server.url);
  });

  // RFC 6749 section 4.1.2.1 sends "includes a parameter more than once" to the client as
  // invalid_request, unless the repeated parameter is client_id or redirect_uri.
  it('redirects a repeated scope', async () => {
    const url = `${authorizationUrl(server.url, webAppRequest())}&scope=openid`;

    const page = await new UserAgent(server.url).get(url);
    const { target, parameters } = readRedirect(page);

    expect(page.response.status).toBe(302);
    expect(target).toBe(REDIRECT_URI);
    expect(parameters.get('error')).toBe('invalid_request');
    expect(parameters.get('error_description')).toMatch(/'scope' is repeated/);
    expect(parameters.get('state')).toBe(STATE);
    expect(parameters.get('iss')).toBe(server.url);
  });
});

describe('authorization endpoint › signed-in user', () => {
  let browser: UserAgent;

  beforeAll(async () => {
    browser = new UserAgent(server.url);
    await browser.obtainCode(webAppRequest({ scope: 'api:read' }), ALICE);
  });

  it('redirects prompt=none without consent', async () => {
    const page = await browser.authorize(webAppRequest({ scope: 'openid api:read', prompt: 'none' }));
    const { target, parameters } = readRedirect(page);

    expect(page.response.status).toBe(302);
    expect(target).toBe(REDIRECT_URI);
    expect(parameters.get('error')).toBe('consent_required');
    expect(parameters.get('error_description')).toMatch(/must consent/);
    expect(parameters.get('state')).toBe(STATE);
    expect(parameters.get('iss')).toBe(server.url);
  });

  it('issues a code for prompt=none after consent', async () => {
    const page = await browser.authorize(webAppRequest({ scope: 'api:read', prompt: 'none' }));
    const { target, parameters } = readRedirect(page);

    expect(page.response.status).toBe(302);
    expect(target).toBe(REDIRECT_URI);
    expect(parameters.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parameters.get('state')).toBe(STATE);
    expect(parameters.get('iss')).toBe(server.url);
  });
});

describe('authorization endpoint › consent', () => {
  it('redirects a denial with access_denied', async () => {
    const browser = new UserAgent(server.url);

    const page = await browser.completeFlow(webAppRequest({ scope: 'openid' }), ALICE, 'deny');
    const { target, parameters } = readRedirect(page);

    expect(page.response.status).toBe(303);
    expect(target).toBe(REDIRECT_URI);
    expect(parameters.get('error')).toBe('access_denied');
    expect(parameters.get('error_description')).toBe('The user denied the request.');
    expect(parameters.get('state')).toBe(STATE);
    expect(parameters.get('iss')).toBe(server.url);
    expect(parameters.has('code')).toBe(false);
  });
});
