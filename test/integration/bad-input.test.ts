/**
 * Bad input at every endpoint, generated with fast-check: random methods on every path, and
 * parameters, headers and bodies with unicode, control characters, very long values, repeated
 * and empty parameters, invalid percent-encodings, invalid base64 and random media types.
 * Valid values (client ids, codes, tokens, interactions) are mixed in, so that requests get
 * past the first checks.
 *
 * Properties of every response:
 * - no 5xx: without a storage fault, nothing justifies 500 or 503;
 * - every error (4xx) of a browser endpoint (/authorize, /login, /consent, /logout) is an HTML
 *   page, and every other error is the JSON object `{error, error_description}` of RFC 6749
 *   section 5.2, whose description uses only the characters that section allows;
 * - no error reveals internals (stack frames, file paths, error class names);
 * - an error sent back to the client in a redirect uses the same characters;
 * - no response takes longer than RESPONSE_BOUND_MILLISECONDS;
 * - the server still serves GET /health afterwards.
 *
 * Requests go through node:http rather than fetch, which rejects some methods and headers.
 * Bytes that HTTP/1.1 cannot carry in a request line or header (control characters, non-ASCII
 * in the target) are percent-encoded or left out, because Node's own parser would reject
 * them before the server's code runs, as API Gateway does on AWS.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { Agent, METHODS, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../functions/oauth/clock.ts';
import { routes } from '../../functions/routes.ts';
import { ClientRepository } from '../../functions/storage/client-repository.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import {
  readInteractionFields,
  UserAgent,
  type UserCredentials,
} from '../support/authorization-flow.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import {
  LOCAL_CREDENTIALS,
  startTestTable,
  TEST_REGION,
  TEST_TABLE,
  type TestTable,
} from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { registerPublicClients } from '../support/public-clients.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const LOGGED_OUT = 'https://app.example.com/logged-out';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };
const WEB_APP_SECRET = 'web-app-secret-0123456789';
const SERVICE_SECRET = 'service-secret-0123456789';

/**
 * The maximum duration of any one response. A generous bound for a loaded 2-core machine,
 * not a benchmark: most responses take a few milliseconds, a password check some tens.
 */
const RESPONSE_BOUND_MILLISECONDS = 2_000;

/**
 * The seed of every property, fixed so that a run repeats the one before. Set BAD_INPUT_SEED
 * to an integer to explore other inputs; a failure prints the seed and path that replay it.
 */
const SEED = Number(process.env.BAD_INPUT_SEED ?? 20_261_204);

/** The form body limit of the endpoints (functions/http/parameters.ts). */
const FORM_LIMIT_BYTES = 64 * 1024;

/** Node's default limit for the request line and headers together is 16 KiB. */
const MAX_TARGET_CHARACTERS = 12_000;

/** The characters of `error` and `error_description` in RFC 6749 section 5.2. */
const ERROR_CHARACTERS = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * Text that must not appear in an error response: stack frames, file paths, and the names
 * of error classes and of the storage behind the server.
 */
const INTERNALS = new RegExp(
  [
    String.raw`\bat \S+ \(`,
    'node:internal',
    'file://',
    '/work/',
    'node_modules',
    String.raw`\.ts:\d+`,
    String.raw`[A-Z]\w*(Error|Exception)\b`,
    'ECONN',
    'DynamoDB',
    'dynalite',
    'smithy',
    'aws-sdk',
  ].join('|'),
);

/** Paths whose routes show errors to a person, as HTML pages. */
const BROWSER_PATHS = ['/authorize', '/login', '/consent', '/logout'];

const ROUTE_PATHS = [...new Set(routes.map((route) => route.path))];
const GET_PATHS = routes.filter((route) => route.method === 'GET').map((route) => route.path);
const POST_PATHS = routes.filter((route) => route.method === 'POST').map((route) => route.path);

const PARAMETER_NAMES = [
  'grant_type',
  'code',
  'redirect_uri',
  'code_verifier',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'scope',
  'refresh_token',
  'username',
  'password',
  'token',
  'token_type_hint',
  'access_token',
  'response_type',
  'response_mode',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'max_age',
  'login_hint',
  'id_token_hint',
  'post_logout_redirect_uri',
  'interaction',
  'csrf_token',
  'decision',
  'confirm',
  'request',
  'claims',
  'resource',
];

/** Percent-escapes that are malformed or decode to invalid UTF-8. */
const INVALID_ESCAPES = [
  '%',
  '%2',
  '%zz',
  '%G1',
  '%C3%28',
  '%ED%A0%80',
  '%F4%90%80%80',
  '%C0%AF',
  '%FF',
  '%E2%82',
  '%00',
];

/** Text that often breaks parsers: controls, separators, quotes, a lone surrogate, a BOM. */
const AWKWARD_CHARACTERS = [
  '\0',
  '\x01',
  '\x1f',
  '\x7f',
  '\r',
  '\n',
  '\t',
  ' ',
  '%',
  '&',
  '=',
  '+',
  '#',
  '?',
  '"',
  "'",
  '\\',
  '<',
  '>',
  ';',
  ',',
  '\u0085',
  '\u2028',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\u{1f600}',
  'é',
];

/** A request as it goes on the wire, apart from the Host and Content-Length headers. */
interface RawRequest {
  method: string;
  /** Path and query, ready for the request line. */
  target: string;
  headers: Record<string, string | string[]>;
  /** The body as latin1 text, one character per byte, so that a counterexample prints. */
  body?: string;
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  milliseconds: number;
}

/** Values that the server issued, mixed into generated requests. */
interface ValidValues {
  code: string;
  accessToken: string;
  refreshToken: string;
  idToken: string;
  /** Tokens of another sign-in, for requests that revoke or rotate them. */
  spareAccessToken: string;
  spareRefreshToken: string;
  sessionCookie: string;
  /** The session of a second browser and its ID token, for requests that log out. */
  logoutSessionCookie: string;
  logoutIdToken: string;
  /** A `private_key_jwt` client assertion of signed-app, accepted once. */
  clientAssertion: string;
  interactionCookie: string;
  /** A pending login. */
  interaction: string;
  csrfToken: string;
  /** A pending consent of the signed-in browser. */
  consentInteraction: string;
  consentCsrfToken: string;
}

let table: TestTable;
let server: TestServer;
let agent: Agent;
let signedAppKey: CryptoKey;
let valid: ValidValues;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      clientId: 'web-app',
      secret: WEB_APP_SECRET,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'profile', 'api:read'],
      skipConsent: true,
      postLogoutRedirectUris: [LOGGED_OUT],
    },
    {
      clientId: 'consent-app',
      secret: WEB_APP_SECRET,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['authorization_code'],
      responseTypes: ['code'],
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'profile'],
    },
    {
      clientId: 'service',
      secret: SERVICE_SECRET,
      tokenEndpointAuthMethod: 'client_secret_post',
      grantTypes: ['client_credentials', 'password'],
      scopes: ['api:read'],
      introspection: true,
    },
  ]);
  await registerPublicClients(table.endpoint, [
    {
      clientId: 'spa',
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'api:read'],
    },
  ]);
  await createUser(table.endpoint, ALICE.username, ALICE.password);
  signedAppKey = await registerSignedApp();
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
  agent = new Agent({ keepAlive: true, maxSockets: 4 });
  valid = await obtainValidValues();
});

afterAll(async () => {
  agent?.destroy();
  await server?.stop();
  await table?.close();
});

/**
 * Signs Alice in and keeps what the generated requests reuse: an unused code, the tokens of
 * two sign-ins, the session, a pending login and a pending consent, all in one browser.
 */
async function obtainValidValues(): Promise<ValidValues> {
  const parameters = {
    response_type: 'code',
    client_id: 'web-app',
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile api:read',
  };
  const browser = new UserAgent(server.url);
  const tokens = await redeem((await browser.obtainCode(parameters, ALICE)).code);
  const spare = await redeem((await browser.obtainCode(parameters, ALICE)).code);
  const { code } = await browser.obtainCode(parameters, ALICE);

  const consent = await browser.followWithinIssuer(
    await browser.authorize({ ...parameters, client_id: 'consent-app', scope: 'openid profile' }),
  );
  const consentFields = readInteractionFields(consent.body);
  // A login that the signed-in browser must repeat, so both interactions share its cookie.
  const login = await browser.followWithinIssuer(
    await browser.authorize({ ...parameters, prompt: 'login' }),
  );
  const loginFields = readInteractionFields(login.body);

  const leaving = new UserAgent(server.url);
  const leavingTokens = await redeem((await leaving.obtainCode(parameters, ALICE)).code);

  return {
    code,
    accessToken: tokens.access_token ?? '',
    refreshToken: tokens.refresh_token ?? '',
    idToken: tokens.id_token ?? '',
    spareAccessToken: spare.access_token ?? '',
    spareRefreshToken: spare.refresh_token ?? '',
    sessionCookie: browser.cookie('oauth_session') ?? '',
    logoutSessionCookie: leaving.cookie('oauth_session') ?? '',
    logoutIdToken: leavingTokens.id_token ?? '',
    clientAssertion: await signClientAssertion(),
    interactionCookie: browser.cookie('oauth_interaction') ?? '',
    interaction: loginFields.interaction,
    csrfToken: loginFields.csrfToken,
    consentInteraction: consentFields.interaction,
    consentCsrfToken: consentFields.csrfToken,
  };
}

/** Registers signed-app, a `private_key_jwt` client, and returns its private key. */
async function registerSignedApp(): Promise<CryptoKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const documents = createDocumentClient({
    region: TEST_REGION,
    endpoint: table.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  await new ClientRepository(documents, TEST_TABLE, systemClock).saveClient({
    clientId: 'signed-app',
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'signed-app-key' }] },
    grantTypes: ['client_credentials'],
    scopes: ['api:read'],
  });
  documents.destroy();
  return privateKey;
}

async function signClientAssertion(): Promise<string> {
  return new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: 'signed-app-key' })
    .setIssuer('signed-app')
    .setSubject('signed-app')
    .setAudience(`${server.url}/token`)
    .setIssuedAt()
    .setExpirationTime('2m')
    .sign(signedAppKey);
}

async function redeem(code: string): Promise<Record<string, string>> {
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuthorization('web-app', WEB_APP_SECRET),
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
    }),
  });
  return (await response.json()) as Record<string, string>;
}

/** Percent-encodes every byte outside the unreserved set of RFC 3986. */
function percentEncode(bytes: Buffer): string {
  let encoded = '';
  for (const byte of bytes) {
    const character = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9\-._~]/.test(character)
      ? character
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** Encodes a value one of several ways, some of them wrong. */
function encodeValue(value: string, style: EncodingStyle): string {
  switch (style) {
    case 'utf8':
      return percentEncode(Buffer.from(value, 'utf8'));
    case 'latin1':
      // Bytes over 0x7f that are not UTF-8.
      return percentEncode(Buffer.from(value, 'latin1'));
    case 'plus':
      return percentEncode(Buffer.from(value, 'utf8')).replaceAll('%20', '+');
    case 'raw':
      // Visible ASCII as is, so `&`, `=`, `%` and `+` keep their meaning; the rest encoded.
      return [...Buffer.from(value, 'utf8')]
        .map((byte) =>
          byte > 0x20 && byte < 0x7f && byte !== 0x23
            ? String.fromCharCode(byte)
            : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
        )
        .join('');
  }
}

type EncodingStyle = 'utf8' | 'latin1' | 'plus' | 'raw';

/** Mostly correct UTF-8, because a wrong encoding stops a request at the parser. */
const encodingStyle = fc.constantFrom<EncodingStyle>(
  'utf8',
  'utf8',
  'utf8',
  'latin1',
  'plus',
  'raw',
);

function validValue(): fc.Arbitrary<string> {
  return fc.constantFrom(
    'client_credentials',
    'authorization_code',
    'refresh_token',
    'password',
    'code',
    'token',
    'id_token token',
    'S256',
    'plain',
    'none',
    'login',
    'consent',
    'allow',
    'deny',
    'yes',
    'openid',
    'openid profile api:read',
    'query',
    'fragment',
    'form_post',
    'web-app',
    'service',
    'spa',
    'alice',
    ALICE.password,
    WEB_APP_SECRET,
    SERVICE_SECRET,
    REDIRECT_URI,
    LOGGED_OUT,
    'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    '0',
    '-1',
    '99999999999999999999',
  );
}

/** Values the server issued; read when a request is generated, after they exist. */
function issuedValue(): fc.Arbitrary<string> {
  return fc
    .constantFrom<keyof ValidValues>(
      'code',
      'accessToken',
      'refreshToken',
      'idToken',
      'spareAccessToken',
      'interaction',
      'csrfToken',
      'consentInteraction',
      'clientAssertion',
    )
    .map((name) => valid[name]);
}

/** Token-shaped text that is not valid: bad base64url segments, wrong part counts, long. */
function brokenToken(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      'eyJ!!!.e30.sig',
      'eyJhbGciOiJub25lIn0.e30.',
      'a.b',
      '...',
      'eyJ',
      '==',
      'a.'.repeat(64),
    ),
    issuedValue().map((value) => `${value}x`),
    issuedValue().map((value) => value.slice(0, Math.floor(value.length / 2))),
    fc.base64String({ maxLength: 200 }),
  );
}

function parameterValue({ long }: { long: number }): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: validValue() },
    { weight: 3, arbitrary: issuedValue() },
    { weight: 2, arbitrary: brokenToken() },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    {
      weight: 3,
      arbitrary: fc.string({ unit: fc.constantFrom(...AWKWARD_CHARACTERS), maxLength: 24 }),
    },
    { weight: 1, arbitrary: fc.constant('') },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.integer({ min: Math.min(256, long), max: long }),
          fc.constantFrom('a', 'é', '\u{1f600}', '%'),
        )
        .map(([length, character]) => character.repeat(length)),
    },
  );
}

/**
 * Generates one `name=value` pair of a query or form, encoded in one of several ways, or a
 * malformed pair.
 */
function encodedPair({ long }: { long: number }): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...PARAMETER_NAMES) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  );
  const wellFormed = fc
    .tuple(name, parameterValue({ long }), encodingStyle)
    .map(([key, value, style]) => `${encodeValue(key, 'utf8')}=${encodeValue(value, style)}`);
  return fc.oneof(
    { weight: 8, arbitrary: wellFormed },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...PARAMETER_NAMES), fc.constantFrom(...INVALID_ESCAPES))
        .map(([key, escape]) => `${key}=a${escape}b`),
    },
    { weight: 1, arbitrary: fc.constantFrom(...PARAMETER_NAMES) },
    { weight: 1, arbitrary: fc.constantFrom('=value', '=', '&', '%=%', 'a=b=c') },
  );
}

/** Generates a query or form: pairs, some of them repeated, joined with `&`. */
function encodedForm({ long, maxPairs }: { long: number; maxPairs: number }): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(encodedPair({ long }), { maxLength: maxPairs }), fc.boolean())
    .map(([pairs, repeatFirst]) => {
      const all = repeatFirst && pairs[0] !== undefined ? [...pairs, pairs[0]] : pairs;
      return all.join('&');
    });
}

/** Characters that a header value may carry: tab, visible ASCII, space and obs-text. */
function headerText(maxLength: number): fc.Arbitrary<string> {
  return fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
      fc.constantFrom('\t', 'é', '\xff', '\x80'),
    ),
    maxLength,
  });
}

function authorizationHeader(): fc.Arbitrary<string | undefined> {
  const basicOf = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;
  return fc.option(
    fc.oneof(
      fc.constant(basicAuthorization('web-app', WEB_APP_SECRET)),
      fc.constant(basicAuthorization('service', SERVICE_SECRET)),
      fc.constant(basicAuthorization('web-app', 'wrong-secret')),
      fc.string({ unit: 'binary', maxLength: 40 }).map(basicOf),
      fc
        .tuple(fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom(...INVALID_ESCAPES))
        .map(([text, escape]) => basicOf(`${escape}${text}:${text}`)),
      fc.constantFrom(
        'Basic',
        'Basic ',
        'Basic !!!!',
        'Basic ====',
        'Basic YQ',
        'basic    YTpi',
        'Basic YTpi YTpi',
      ),
      fc.constant('valid').map(() => `Bearer ${valid.accessToken}`),
      brokenToken().map((token) => `Bearer ${token}`),
      fc.constantFrom('Bearer', 'Bearer ', 'Bearer a b', 'Bearer\ta', 'DPoP abc', 'Digest x'),
      headerText(300),
    ),
    { freq: 3, nil: undefined },
  );
}

function contentType(): fc.Arbitrary<string | undefined> {
  return fc.option(
    fc.oneof(
      { weight: 6, arbitrary: fc.constant('application/x-www-form-urlencoded') },
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          'application/x-www-form-urlencoded; charset=UTF-8',
          'APPLICATION/X-WWW-FORM-URLENCODED',
          'application/x-www-form-urlencoded;charset=latin1',
          'application/json',
          'text/plain',
          'multipart/form-data; boundary=x',
          'application/x-www-form-urlencoded, application/json',
          '',
          ';',
        ),
      },
      { weight: 1, arbitrary: headerText(60) },
    ),
    { freq: 6, nil: undefined },
  );
}

function cookieHeader(): fc.Arbitrary<string | undefined> {
  return fc.option(
    fc.oneof(
      fc.constant('valid').map(() => `oauth_session=${valid.sessionCookie}`),
      fc.constant('valid').map(
        () => `oauth_interaction=${valid.interactionCookie}; oauth_session=${valid.sessionCookie}`,
      ),
      headerText(80).map((text) => `oauth_session=${text}`),
      headerText(80).map((text) => `oauth_interaction=${text}`),
      fc.constantFrom(
        'oauth_session=; oauth_session=x',
        '=',
        ';;;',
        'oauth_session',
        'a'.repeat(4000),
      ),
      headerText(200),
    ),
    { freq: 4, nil: undefined },
  );
}

/**
 * Generates GET and POST mostly, and any other method in Node's `http.METHODS`. Node's parser
 * rejects other methods with its own 400 before the server's code runs. CONNECT is left out
 * because it opens a tunnel rather than a request.
 */
function method(): fc.Arbitrary<string> {
  const others = METHODS.filter((name) => !['GET', 'POST', 'CONNECT'].includes(name));
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('GET', 'POST') },
    { weight: 1, arbitrary: fc.constantFrom(...others) },
  );
}

/** Generates a body: a form, random bytes, JSON, or none. */
function body(): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 6, arbitrary: encodedForm({ long: 16_000, maxPairs: 10 }) },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 512 })
        .map((bytes) => Buffer.from(bytes).toString('latin1')),
    },
    {
      weight: 1,
      arbitrary: fc
        .dictionary(fc.constantFrom(...PARAMETER_NAMES), fc.string())
        .map((value) => JSON.stringify(value)),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

interface RequestParts {
  method: string;
  path: string;
  query: string;
  authorization: string | undefined;
  contentType: string | undefined;
  cookie: string | undefined;
  origin: string | undefined;
  body: string | undefined;
}

function toRawRequest(parts: RequestParts): RawRequest {
  let target = parts.query === '' ? parts.path : `${parts.path}?${parts.query}`;
  // A longer target would meet Node's header limit (431) before the server's code runs.
  if (target.length > MAX_TARGET_CHARACTERS) target = target.slice(0, MAX_TARGET_CHARACTERS);

  const headers: Record<string, string> = {};
  if (parts.authorization !== undefined) headers.authorization = parts.authorization;
  if (parts.contentType !== undefined) headers['content-type'] = parts.contentType;
  if (parts.cookie !== undefined) headers.cookie = parts.cookie;
  if (parts.origin !== undefined) headers.origin = parts.origin;
  const request: RawRequest = { method: parts.method, target, headers };
  if (parts.body !== undefined) request.body = parts.body;
  return request;
}

function origin(): fc.Arbitrary<string | undefined> {
  return fc.option(
    fc.oneof(
      fc.constant('issuer').map(() => server.url),
      fc.constantFrom('null', 'https://evil.example.com'),
      headerText(40),
    ),
    { freq: 4, nil: undefined },
  );
}

/** Any method on a route path, with anything in the query, headers and body. */
const anyRequest = fc
  .record({
    method: method(),
    path: fc.constantFrom(...ROUTE_PATHS),
    query: fc.oneof(fc.constant(''), encodedForm({ long: 3_000, maxPairs: 6 })),
    authorization: authorizationHeader(),
    contentType: contentType(),
    cookie: cookieHeader(),
    origin: origin(),
    body: body(),
  })
  .map(toRawRequest);

/** A valid request to one endpoint, which mutations then change. */
interface Template {
  method: string;
  path: string;
  /** Parameters: in the query of a GET, in the form body of a POST. */
  parameters: Array<[string, string]>;
  headers: Record<string, string>;
}

/** Names the valid requests that mutations start from. */
const TEMPLATES = [
  'token client_credentials',
  'token private_key_jwt',
  'token authorization_code',
  'token refresh_token',
  'introspect',
  'revoke',
  'userinfo GET',
  'userinfo POST',
  'authorize GET',
  'authorize POST',
  'login GET',
  'login POST',
  'consent GET',
  'consent POST',
  'logout GET',
  'logout POST',
  'jwks',
  'metadata',
] as const;

type TemplateName = (typeof TEMPLATES)[number];

/** Builds a template from the values issued in beforeAll, so it is called at generation. */
function buildTemplate(name: TemplateName): Template {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const webApp = { ...form, authorization: basicAuthorization('web-app', WEB_APP_SECRET) };
  const service: Array<[string, string]> = [
    ['client_id', 'service'],
    ['client_secret', SERVICE_SECRET],
  ];
  const authorization: Array<[string, string]> = [
    ['response_type', 'code'],
    ['client_id', 'web-app'],
    ['redirect_uri', REDIRECT_URI],
    ['scope', 'openid profile'],
    ['state', 'xyz'],
    ['nonce', 'n-0S6_WzA2Mj'],
    ['code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'],
    ['code_challenge_method', 'S256'],
  ];
  const session = { cookie: `oauth_session=${valid.sessionCookie}` };
  const interaction = {
    cookie: `oauth_interaction=${valid.interactionCookie}; oauth_session=${valid.sessionCookie}`,
  };
  const logout: Array<[string, string]> = [
    ['id_token_hint', valid.logoutIdToken],
    ['post_logout_redirect_uri', LOGGED_OUT],
    ['state', 'abc'],
  ];
  const leavingSession = { cookie: `oauth_session=${valid.logoutSessionCookie}` };

  switch (name) {
    case 'token client_credentials':
      return {
        method: 'POST',
        path: '/token',
        parameters: [['grant_type', 'client_credentials'], ...service],
        headers: form,
      };
    case 'token authorization_code':
      return {
        method: 'POST',
        path: '/token',
        parameters: [
          ['grant_type', 'authorization_code'],
          ['code', valid.code],
          ['redirect_uri', REDIRECT_URI],
        ],
        headers: webApp,
      };
    case 'token refresh_token':
      return {
        method: 'POST',
        path: '/token',
        parameters: [
          ['grant_type', 'refresh_token'],
          ['refresh_token', valid.spareRefreshToken],
        ],
        headers: webApp,
      };
    case 'token private_key_jwt':
      return {
        method: 'POST',
        path: '/token',
        parameters: [
          ['grant_type', 'client_credentials'],
          ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
          ['client_assertion', valid.clientAssertion],
        ],
        headers: form,
      };
    case 'introspect':
      return {
        method: 'POST',
        path: '/introspect',
        parameters: [['token', valid.accessToken], ...service],
        headers: form,
      };
    case 'revoke':
      return {
        method: 'POST',
        path: '/revoke',
        parameters: [
          ['token', valid.spareAccessToken],
          ['token_type_hint', 'access_token'],
        ],
        headers: webApp,
      };
    case 'userinfo GET':
      return {
        method: 'GET',
        path: '/userinfo',
        parameters: [],
        headers: { authorization: `Bearer ${valid.accessToken}` },
      };
    case 'userinfo POST':
      return {
        method: 'POST',
        path: '/userinfo',
        parameters: [['access_token', valid.accessToken]],
        headers: form,
      };
    case 'authorize GET':
      return { method: 'GET', path: '/authorize', parameters: authorization, headers: session };
    case 'authorize POST':
      return {
        method: 'POST',
        path: '/authorize',
        parameters: authorization,
        headers: { ...form, ...session },
      };
    case 'login GET':
      return {
        method: 'GET',
        path: '/login',
        parameters: [['interaction', valid.interaction]],
        headers: interaction,
      };
    case 'login POST':
      // A wrong password keeps the interaction pending for later runs.
      return {
        method: 'POST',
        path: '/login',
        parameters: [
          ['interaction', valid.interaction],
          ['csrf_token', valid.csrfToken],
          ['username', 'alice'],
          ['password', 'not-the-password'],
        ],
        headers: { ...form, ...interaction },
      };
    case 'consent GET':
      return {
        method: 'GET',
        path: '/consent',
        parameters: [['interaction', valid.consentInteraction]],
        headers: interaction,
      };
    case 'consent POST':
      // An unknown decision keeps the interaction pending for later runs.
      return {
        method: 'POST',
        path: '/consent',
        parameters: [
          ['interaction', valid.consentInteraction],
          ['csrf_token', valid.consentCsrfToken],
          ['decision', 'maybe'],
        ],
        headers: { ...form, ...interaction },
      };
    case 'logout GET':
      return { method: 'GET', path: '/logout', parameters: logout, headers: leavingSession };
    case 'logout POST':
      return {
        method: 'POST',
        path: '/logout',
        parameters: [...logout, ['confirm', 'yes']],
        headers: { ...form, ...leavingSession, origin: server.url },
      };
    case 'jwks':
      return { method: 'GET', path: '/jwks.json', parameters: [], headers: {} };
    case 'metadata':
      return {
        method: 'GET',
        path: '/.well-known/openid-configuration',
        parameters: [],
        headers: {},
      };
  }
}

type HeaderName = 'authorization' | 'content-type' | 'cookie' | 'origin';

/** One change to a valid request. Indexes wrap around the template's parameters. */
type Mutation =
  | { kind: 'set'; index: number; value: string }
  | { kind: 'add'; name: string; value: string }
  | { kind: 'remove'; index: number }
  | { kind: 'repeat'; index: number; value: string }
  | { kind: 'encode'; index: number; style: EncodingStyle }
  | { kind: 'escape'; index: number; escape: string }
  | { kind: 'header'; name: HeaderName; value: string | undefined }
  | { kind: 'method'; method: string }
  | { kind: 'move' }
  | { kind: 'append'; bytes: string };

function headerChange(
  name: HeaderName,
  values: fc.Arbitrary<string | undefined>,
): fc.Arbitrary<Mutation> {
  return values.map((value) => ({ kind: 'header' as const, name, value }));
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      index: fc.nat(),
      value: parameterValue({ long: 20_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      name: fc.oneof(
        fc.constantFrom(...PARAMETER_NAMES),
        fc.string({ unit: 'binary', maxLength: 12 }),
      ),
      value: parameterValue({ long: 5_000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), index: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('repeat' as const),
      index: fc.nat(),
      value: parameterValue({ long: 100 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('encode' as const),
      index: fc.nat(),
      style: encodingStyle,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('escape' as const),
      index: fc.nat(),
      escape: fc.constantFrom(...INVALID_ESCAPES),
    }),
  },
  { weight: 2, arbitrary: headerChange('authorization', authorizationHeader()) },
  { weight: 1, arbitrary: headerChange('content-type', contentType()) },
  { weight: 1, arbitrary: headerChange('cookie', cookieHeader()) },
  { weight: 1, arbitrary: headerChange('origin', origin()) },
  { weight: 1, arbitrary: method().map((value) => ({ kind: 'method' as const, method: value })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'move' as const }) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 64 })
      .map((bytes) => ({ kind: 'append' as const, bytes: Buffer.from(bytes).toString('latin1') })),
  },
);

interface Entry {
  name: string;
  value: string;
  style: EncodingStyle;
  escape?: string;
}

/** Applies mutations to a template and returns the request as it goes on the wire. */
function mutate(template: Template, mutations: Mutation[]): RawRequest {
  const entries: Entry[] = template.parameters.map(([name, value]) => ({
    name,
    value,
    style: 'utf8',
  }));
  const headers: Record<string, string | undefined> = { ...template.headers };
  let method = template.method;
  let inBody = template.method === 'POST';
  let appended = '';
  const at = (index: number) => (entries.length === 0 ? undefined : index % entries.length);

  for (const change of mutations) {
    switch (change.kind) {
      case 'set':
      case 'remove':
      case 'repeat':
      case 'encode':
      case 'escape': {
        const index = at(change.index);
        const entry = index === undefined ? undefined : entries[index];
        if (index === undefined || entry === undefined) break;
        if (change.kind === 'set') entry.value = change.value;
        if (change.kind === 'remove') entries.splice(index, 1);
        if (change.kind === 'repeat') {
          entries.push({ name: entry.name, value: change.value, style: 'utf8' });
        }
        if (change.kind === 'encode') entry.style = change.style;
        if (change.kind === 'escape') entry.escape = change.escape;
        break;
      }
      case 'add':
        entries.push({ name: change.name, value: change.value, style: 'utf8' });
        break;
      case 'header':
        headers[change.name] = change.value;
        break;
      case 'method':
        method = change.method;
        break;
      case 'move':
        inBody = !inBody;
        break;
      case 'append':
        appended += change.bytes;
        break;
    }
  }

  const encoded = entries
    .map((entry) => {
      const value = `${encodeValue(entry.value, entry.style)}${entry.escape ?? ''}`;
      return `${encodeValue(entry.name, 'utf8')}=${value}`;
    })
    .join('&');
  let body: string | undefined;
  if (inBody) body = `${encoded}${appended}`;
  else if (appended !== '') body = appended;
  return toRawRequest({
    method,
    path: template.path,
    query: inBody ? '' : encoded,
    authorization: headers.authorization,
    contentType: headers['content-type'],
    cookie: headers.cookie,
    origin: headers.origin,
    body,
  });
}

/** Generates a valid request to any endpoint with one to `maxChanges` changes. */
function mutatedRequest(maxChanges: number): fc.Arbitrary<RawRequest> {
  return fc
    .tuple(
      fc.constantFrom(...TEMPLATES),
      fc.array(mutation, { minLength: 1, maxLength: maxChanges }),
    )
    .map(([name, mutations]) => mutate(buildTemplate(name), mutations));
}

/** Form bodies of exactly the limit, just over it, and well over it. */
const largeBody = fc
  .record({
    path: fc.constantFrom(...POST_PATHS),
    size: fc.constantFrom(
      FORM_LIMIT_BYTES - 1,
      FORM_LIMIT_BYTES,
      FORM_LIMIT_BYTES + 1,
      3 * FORM_LIMIT_BYTES,
    ),
    prefix: encodedForm({ long: 300, maxPairs: 4 }),
    filler: fc.constantFrom('a', '%C3%A9', '%00', '%', '\xe9'),
    authorization: authorizationHeader(),
  })
  .map(({ path, size, prefix, filler, authorization }) => {
    const start = `${prefix}&padding=`;
    const fill = filler.repeat(Math.ceil(Math.max(0, size - start.length) / filler.length));
    return toRawRequest({
      method: 'POST',
      path,
      query: '',
      authorization,
      contentType: 'application/x-www-form-urlencoded',
      cookie: undefined,
      origin: undefined,
      body: `${start}${fill}`.slice(0, size),
    });
  });

const visibleAscii = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));

/** Paths that no route serves, or that differ from one only slightly. */
const unknownPath = fc
  .record({
    method: method(),
    path: fc.oneof(
      fc.constantFrom(
        '/',
        '/token/',
        '/TOKEN',
        '//token',
        '/token%00',
        '/.well-known/../token',
        '/%',
        '/%zz',
        '/%C3%28',
        '/jwks.json.bak',
        `/${'a'.repeat(4000)}`,
      ),
      fc
        .string({ unit: 'binary', maxLength: 60 })
        .map((text) => `/${percentEncode(Buffer.from(text, 'utf8'))}`),
      fc
        .string({ unit: visibleAscii, maxLength: 60 })
        .map((text) => `/${text.replaceAll('?', '').replaceAll('#', '')}`),
    ),
    query: fc.oneof(fc.constant(''), encodedForm({ long: 500, maxPairs: 3 })),
    authorization: fc.constant(undefined),
    contentType: contentType(),
    cookie: fc.constant(undefined),
    origin: fc.constant(undefined),
    body: body(),
  })
  .map(toRawRequest);

/** Sends a request over a keep-alive connection and reads the whole response. */
function send(request: RawRequest): Promise<RawResponse> {
  const url = new URL(server.url);
  const bytes = request.body === undefined ? undefined : Buffer.from(request.body, 'latin1');
  // Node frames a GET body only with an explicit Content-Length; without it the bytes would
  // reach the server as the start of a next request.
  const headers = { ...request.headers };
  if (bytes !== undefined) headers['content-length'] = String(bytes.length);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port: url.port,
        method: request.method,
        path: request.target,
        headers,
        agent,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            milliseconds: performance.now() - started,
          }),
        );
      },
    );
    outgoing.on('error', reject);
    // Far beyond the bound, so that a hung server fails the property instead of the test timeout.
    outgoing.setTimeout(10 * RESPONSE_BOUND_MILLISECONDS, () =>
      outgoing.destroy(new Error(`No response within ${10 * RESPONSE_BOUND_MILLISECONDS} ms`)),
    );
    outgoing.end(bytes);
  });
}

function pathOf(request: RawRequest): string {
  return request.target.split('?')[0] ?? '';
}

/** Returns whether the route that serves the request shows its errors as HTML pages. */
function isBrowserRequest(request: RawRequest): boolean {
  return (
    BROWSER_PATHS.includes(pathOf(request)) &&
    routes.some((route) => route.path === pathOf(request) && route.method === request.method)
  );
}

/** Reads `error` and `error_description` from a redirect's query or fragment, if it has them. */
function redirectError(location: string): { error?: string; description?: string } {
  const url = new URL(location, server.url);
  const fragment = new URLSearchParams(url.hash.slice(1));
  const error = url.searchParams.get('error') ?? fragment.get('error') ?? undefined;
  const description =
    url.searchParams.get('error_description') ?? fragment.get('error_description') ?? undefined;
  const found: { error?: string; description?: string } = {};
  if (error !== undefined) found.error = error;
  if (description !== undefined) found.description = description;
  return found;
}

/** Checks every property of one response; a failed check names the request in the message. */
function checkResponse(request: RawRequest, response: RawResponse): void {
  const label =
    `${request.method} ${request.target.slice(0, 200)} -> ` +
    `${response.status} ${response.body.slice(0, 300)}`;

  expect(response.status, label).toBeLessThan(500);
  expect(response.milliseconds, label).toBeLessThan(RESPONSE_BOUND_MILLISECONDS);

  const location = response.headers.location;
  if (location !== undefined) {
    const { error, description } = redirectError(location);
    if (error !== undefined) expect(error, label).toMatch(ERROR_CHARACTERS);
    if (description !== undefined) expect(description, label).toMatch(ERROR_CHARACTERS);
  }

  if (response.status < 400 || request.method === 'HEAD') return;

  expect(response.body, label).not.toMatch(INTERNALS);
  const mediaType = String(response.headers['content-type'] ?? '');
  if (isBrowserRequest(request)) {
    expect(mediaType, label).toMatch(/^text\/html/);
    return;
  }

  expect(mediaType, label).toMatch(/^application\/json/);
  const parsed = JSON.parse(response.body) as Record<string, unknown>;
  expect(Object.keys(parsed).sort(), label).toEqual(['error', 'error_description']);
  expect(parsed.error, label).toEqual(expect.stringMatching(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/));
  expect(parsed.error_description, label).toEqual(expect.stringMatching(ERROR_CHARACTERS));
}

/** Runs a property: every generated request gets a well-formed response in time. */
async function assertEveryResponse(
  requests: fc.Arbitrary<RawRequest>,
  numRuns: number,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(requests, async (request) => {
      checkResponse(request, await send(request));
    }),
    // Shrinking sends one request per step; the limit keeps a failing property from running long.
    { numRuns, seed: SEED, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true },
  );
}

async function expectHealthy(): Promise<void> {
  const response = await send({ method: 'GET', target: '/health', headers: {} });

  expect(response.status).toBe(200);
}

describe('bad input › properties', () => {
  it('handles any method on any route path', async () => {
    await assertEveryResponse(anyRequest, 150);
    await expectHealthy();
  }, 90_000);

  it('handles valid requests with one change', async () => {
    await assertEveryResponse(mutatedRequest(1), 200);
    await expectHealthy();
  }, 90_000);

  it('handles valid requests with several changes', async () => {
    await assertEveryResponse(mutatedRequest(5), 200);
    await expectHealthy();
  }, 90_000);

  it('handles bodies around the size limit', async () => {
    await assertEveryResponse(largeBody, 40);
    await expectHealthy();
  }, 90_000);

  it('handles paths that no route serves', async () => {
    await assertEveryResponse(unknownPath, 100);
    await expectHealthy();
  }, 90_000);
});

/**
 * Longer than DynamoDB's limit of 2048 bytes for a partition key, once the server adds its
 * key prefix (`CLIENT#`, `INTERACTION#`, `USERNAME#`).
 */
const OVER_KEY_LENGTH = 'a'.repeat(2_100);

function getRequest(path: string, query: Record<string, string>, headers = {}): RawRequest {
  return { method: 'GET', target: `${path}?${new URLSearchParams(query).toString()}`, headers };
}

function postRequest(path: string, form: Record<string, string>, headers = {}): RawRequest {
  return {
    method: 'POST',
    target: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  };
}

/** Requests that put one over-long value where the server builds a table key from it. */
const OVERLONG_VALUES: Array<{ name: string; build: () => RawRequest }> = [
  {
    name: 'client_id at GET /authorize',
    build: () =>
      getRequest('/authorize', {
        response_type: 'code',
        client_id: OVER_KEY_LENGTH,
        redirect_uri: REDIRECT_URI,
      }),
  },
  {
    name: 'client_id at POST /authorize',
    build: () =>
      postRequest('/authorize', {
        response_type: 'code',
        client_id: OVER_KEY_LENGTH,
        redirect_uri: REDIRECT_URI,
      }),
  },
  {
    name: 'client_id at GET /logout',
    build: () =>
      getRequest('/logout', { client_id: OVER_KEY_LENGTH, post_logout_redirect_uri: LOGGED_OUT }),
  },
  {
    name: 'interaction at GET /login',
    build: () => getRequest('/login', { interaction: OVER_KEY_LENGTH }, pendingLogin.cookie),
  },
  {
    name: 'interaction at GET /consent',
    build: () => getRequest('/consent', { interaction: OVER_KEY_LENGTH }, pendingLogin.cookie),
  },
  {
    name: 'interaction at POST /consent',
    build: () =>
      postRequest(
        '/consent',
        { interaction: OVER_KEY_LENGTH, csrf_token: 'x', decision: 'allow' },
        pendingLogin.cookie,
      ),
  },
  {
    name: 'username at POST /login',
    build: () =>
      postRequest(
        '/login',
        {
          interaction: pendingLogin.interaction,
          csrf_token: pendingLogin.csrfToken,
          username: OVER_KEY_LENGTH,
          password: 'x',
        },
        pendingLogin.cookie,
      ),
  },
  {
    name: 'username of the password grant',
    build: () =>
      postRequest('/token', {
        grant_type: 'password',
        client_id: 'service',
        client_secret: SERVICE_SECRET,
        username: OVER_KEY_LENGTH,
        password: 'x',
      }),
  },
];

/** A login of its own, which the properties above cannot have finished or expired. */
let pendingLogin: { interaction: string; csrfToken: string; cookie: Record<string, string> };

describe('bad input › values longer than a table key', () => {
  beforeAll(async () => {
    const browser = new UserAgent(server.url);
    const login = await browser.followWithinIssuer(
      await browser.authorize({
        response_type: 'code',
        client_id: 'web-app',
        redirect_uri: REDIRECT_URI,
      }),
    );
    const fields = readInteractionFields(login.body);
    pendingLogin = {
      ...fields,
      cookie: { cookie: `oauth_interaction=${browser.cookie('oauth_interaction') ?? ''}` },
    };
  });

  it.each(OVERLONG_VALUES)('rejects an overlong $name with 400', async ({ build }) => {
    const response = await send(build());

    expect(response.status).toBe(400);
  });
});

describe('bad input › limits', () => {
  it('rejects a form over 64 KiB with 413', async () => {
    const response = await send({
      method: 'POST',
      target: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&padding=${'a'.repeat(FORM_LIMIT_BYTES)}`,
    });

    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({
      error: 'invalid_request',
      error_description: expect.stringMatching(ERROR_CHARACTERS),
    });
  });

  it('rejects a body over 10 MiB with 413', async () => {
    const response = await send({
      method: 'POST',
      target: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a'.repeat(10 * 1024 * 1024 + 1),
    });

    expect(response.status).toBe(413);
  });

  it('survives a header over the parser limit', async () => {
    const response = await send({
      method: 'GET',
      target: '/jwks.json',
      headers: { cookie: `oauth_session=${'a'.repeat(20_000)}` },
    });

    // Node's HTTP parser rejects it with 431 before the server's code runs. API Gateway has
    // a limit of its own.
    expect(response.status).toBe(431);
    await expectHealthy();
  });
});
