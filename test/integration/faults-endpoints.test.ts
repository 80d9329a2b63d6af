/**
 * Every endpoint over HTTP while the table fails. A fault proxy between the local server and
 * dynalite injects DynamoDB's failures: throttling, 500s, dropped connections, lost responses
 * of applied writes, slow responses and requests that get no response at all.
 *
 * Each endpoint must respond as it would without the fault, after the SDK's retries, or with
 * 503 and Retry-After. No response may be a 500, reveal internals (stack traces, SDK error
 * names, file paths), or take longer than RESPONSE_BOUND_MILLISECONDS. A code redemption or
 * refresh that got 503 must succeed when the client sends it again.
 *
 * Each scenario has its own fault proxy and server, because the SDK's retry quota of a
 * process drains under a sustained fault and would leave later scenarios without retries.
 * Several scenarios run at once, since most of their time is spent waiting for timeouts and
 * backoff. The servers keep nothing in memory (MEMORY_CACHE_SECONDS=0), as a cold function, so
 * every request reads the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readInteractionFields,
  UserAgent,
  type UserCredentials,
} from '../support/authorization-flow.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import {
  startFaultProxy,
  type Fault,
  type FaultProxy,
  type FaultSelection,
} from '../support/fault-proxy.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const LOGGED_OUT = 'https://app.example.com/logged-out';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };
const FORM = 'application/x-www-form-urlencoded';

const SECRETS = {
  'web-app': 'web-app-secret-0123456789',
  'consent-app': 'consent-app-secret-0123456789',
  service: 'service-secret-0123456789',
} as const;

/**
 * The maximum wait for one response. A table call that times out on each of the SDK's 3
 * attempts of 2 s fails after about 6.5 s, and the request then gets 503. The rest is
 * margin for a busy machine: this is a generous bound, not a measurement.
 *
 * NOTE: @smithy/node-http-handler 4.14 only logs a warning when a call exceeds requestTimeout
 * unless throwOnRequestTimeout is set, which functions/storage/dynamodb.ts does not do. Until
 * it does, a call to a table that never responds never fails, and the slow and unanswered
 * scenarios exceed this bound.
 */
const RESPONSE_BOUND_MILLISECONDS = 15_000;

/** Longer than the SDK's request timeout of 2 s (functions/storage/dynamodb.ts). */
const SLOW_MILLISECONDS = 2_500;

/** Scenarios that run at once; each has a server process of its own. */
const CONCURRENT_SCENARIOS = 4;

/**
 * How long a scenario's tests wait for its outcomes: a scenario takes up to about 25 s, and
 * it may wait for a free slot behind others.
 */
const SCENARIO_TIMEOUT_MILLISECONDS = 150_000;

const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem'];

/**
 * Text that must not appear in an error response: stack frames, file paths, and the names
 * of SDK errors and of the storage behind the server.
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
    'ETIMEDOUT',
    'DynamoDB',
    'dynalite',
    'smithy',
    'aws-sdk',
  ].join('|'),
);

/** One request that a client or browser sends to an endpoint, prepared before a fault. */
interface EndpointRequest {
  method: 'GET' | 'POST';
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** The response to a request, or `no response` when none came within the bound. */
interface Outcome {
  status: number | 'no response';
  retryAfter: string | null;
  text: string;
  /** From sending the request to the end of the response body. */
  milliseconds: number;
}

/** Names of the prepared requests, one or more per route, in the order they are reported. */
const ENDPOINTS = [
  'GET /.well-known/oauth-authorization-server',
  'GET /.well-known/openid-configuration',
  'GET /jwks.json',
  'GET /health',
  'POST /token client_credentials',
  'POST /token authorization_code',
  'POST /token refresh_token',
  'POST /introspect',
  'POST /revoke',
  'GET /userinfo',
  'POST /userinfo',
  'GET /authorize',
  'POST /authorize',
  'GET /login',
  'POST /login',
  'GET /consent',
  'POST /consent',
  'GET /logout',
  'POST /logout',
] as const;

type EndpointName = (typeof ENDPOINTS)[number];

/** Endpoints that never call the table, so no fault reaches them. */
const WITHOUT_TABLE: readonly EndpointName[] = [
  'GET /.well-known/oauth-authorization-server',
  'GET /.well-known/openid-configuration',
];

let table: TestTable;

/** The outcomes of every scenario, by title, started together once the table is ready. */
const sustainedRuns = new Map<string, Promise<ScenarioRun>>();
const transientRuns = new Map<string, Promise<TransientRun>>();

beforeAll(async () => {
  table = await startTestTable();
  const confidential = {
    tokenEndpointAuthMethod: 'client_secret_basic' as const,
    responseTypes: ['code' as const],
    redirectUris: [REDIRECT_URI],
    scopes: ['openid', 'profile', 'api:read'],
  };
  await registerClients(table.endpoint, [
    {
      ...confidential,
      clientId: 'web-app',
      secret: SECRETS['web-app'],
      grantTypes: ['authorization_code', 'refresh_token'],
      skipConsent: true,
      postLogoutRedirectUris: [LOGGED_OUT],
    },
    {
      ...confidential,
      clientId: 'consent-app',
      secret: SECRETS['consent-app'],
      grantTypes: ['authorization_code'],
    },
    {
      clientId: 'service',
      secret: SECRETS.service,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      scopes: ['api:read'],
      introspection: true,
    },
  ]);
  await createUser(table.endpoint, ALICE.username, ALICE.password, { name: 'Alice' });

  const schedule = limitConcurrency(CONCURRENT_SCENARIOS);
  for (const scenario of SUSTAINED) {
    sustainedRuns.set(scenario.title, schedule(() => runSustained(scenario)));
  }
  for (const scenario of TRANSIENT) {
    transientRuns.set(scenario.title, schedule(() => runTransient(scenario)));
  }
  // Each run is awaited by its own tests; this only keeps an early failure from being reported
  // as an unhandled rejection before they await it.
  for (const run of [...sustainedRuns.values(), ...transientRuns.values()]) {
    run.catch(() => undefined);
  }
});

afterAll(async () => {
  await Promise.allSettled([...sustainedRuns.values(), ...transientRuns.values()]);
  await table?.close();
});

/** Returns a function that runs at most `limit` tasks at once, in the order they arrive. */
function limitConcurrency(limit: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <Result>(task: () => Promise<Result>): Promise<Result> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

/**
 * Servers start one at a time: each seeds the demo client and user into the shared table at
 * startup, and two seeds at once fail with "taken by a half-created user".
 */
const startOneAtATime = limitConcurrency(1);

/** Runs a task with a fault proxy in front of the table and a server behind the proxy. */
async function withProxyAndServer<Result>(
  task: (proxy: FaultProxy, server: TestServer) => Promise<Result>,
): Promise<Result> {
  const proxy = await startFaultProxy(table.endpoint);
  try {
    const server = await startOneAtATime(() =>
      startServer({
        DYNAMODB_ENDPOINT: proxy.endpoint,
        TABLE_NAME: TEST_TABLE,
        MEMORY_CACHE_SECONDS: '0',
      }),
    );
    try {
      return await task(proxy, server);
    } finally {
      await server.stop();
    }
  } finally {
    await proxy.close();
  }
}

function codeParameters(clientId = 'web-app'): Record<string, string> {
  return {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile api:read',
    state: 'faults',
  };
}

/** Asks for consent even when an earlier scenario stored it, because the table is shared. */
function consentParameters(): Record<string, string> {
  return { ...codeParameters('consent-app'), prompt: 'consent' };
}

function clientAuthorization(clientId: keyof typeof SECRETS): Record<string, string> {
  return { authorization: basicAuthorization(clientId, SECRETS[clientId]) };
}

function cookieHeader(agent: UserAgent, names: string[]): Record<string, string> {
  const pairs = names.flatMap((name) => {
    const value = agent.cookie(name);
    return value === undefined ? [] : [`${name}=${value}`];
  });
  return pairs.length === 0 ? {} : { cookie: pairs.join('; ') };
}

function formRequest(
  path: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): EndpointRequest {
  return {
    method: 'POST',
    path,
    headers: { 'content-type': FORM, ...headers },
    body: new URLSearchParams(form).toString(),
  };
}

/** Redeems a code as web-app with no fault active and returns the token response. */
async function redeem(server: TestServer, code: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': FORM, ...clientAuthorization('web-app') },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
    }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`Preparing tokens failed: ${JSON.stringify(body)}`);
  return body;
}

/** Returns the interaction id in the Location of a redirect to the login or consent page. */
function interactionOf(location: string | null): string {
  const interaction = location === null ? null : new URL(location).searchParams.get('interaction');
  if (interaction === null) throw new Error(`No interaction in the redirect to ${location}`);
  return interaction;
}

/** Signs a browser in, and returns it with an unused code and two token responses. */
async function prepareSignedIn(server: TestServer) {
  const browser = new UserAgent(server.url);
  const { code } = await browser.obtainCode(codeParameters(), ALICE);
  const tokens = await redeem(server, (await browser.obtainCode(codeParameters(), ALICE)).code);
  const revocable = await redeem(server, (await browser.obtainCode(codeParameters(), ALICE)).code);
  return { browser, code, tokens, revocable };
}

/**
 * Starts two logins in a browser that is not signed in, and returns it with one interaction
 * to show and the form fields of the other, to post.
 */
async function prepareLogin(issuer: string) {
  const agent = new UserAgent(issuer);
  const displayed = interactionOf(
    (await agent.authorize(codeParameters())).response.headers.get('location'),
  );
  const posted = interactionOf(
    (await agent.authorize(codeParameters())).response.headers.get('location'),
  );
  const page = await agent.get(`${issuer}/login?interaction=${posted}`);
  return { agent, displayed, fields: readInteractionFields(page.body) };
}

/**
 * Signs a browser in and starts two consent-app requests, which need consent. Returns the
 * browser with one interaction to show and the form fields of the other, to post.
 */
async function prepareConsent(issuer: string) {
  const agent = new UserAgent(issuer);
  await agent.obtainCode(codeParameters(), ALICE);
  const displayed = interactionOf(
    (await agent.authorize(consentParameters())).response.headers.get('location'),
  );
  const posted = interactionOf(
    (await agent.authorize(consentParameters())).response.headers.get('location'),
  );
  const page = await agent.get(`${issuer}/consent?interaction=${posted}`);
  return { agent, displayed, fields: readInteractionFields(page.body) };
}

/** Signs a browser in, and returns it with the ID token of its sign-in as a logout hint. */
async function prepareLogout(server: TestServer) {
  const agent = new UserAgent(server.url);
  const hint = await redeem(server, (await agent.obtainCode(codeParameters(), ALICE)).code);
  return { agent, hint };
}

/**
 * Prepares one valid request per endpoint while the proxy forwards everything: codes,
 * tokens, signed-in browsers and pending interactions. Every request uses its own grant or
 * browser, so the requests can be sent together.
 */
async function prepareRequests(server: TestServer): Promise<Map<EndpointName, EndpointRequest>> {
  const issuer = server.url;

  // Independent browsers, prepared at once: each sign-in checks a password with scrypt.
  const [signedIn, login, consent, getLogout, postLogout] = await Promise.all([
    prepareSignedIn(server),
    prepareLogin(issuer),
    prepareConsent(issuer),
    prepareLogout(server),
    prepareLogout(server),
  ]);
  const { browser, code, tokens, revocable } = signedIn;
  const accessToken = String(tokens.access_token);
  const { agent: signingIn, displayed: loginDisplayed, fields: loginFields } = login;
  const { agent: consenting, displayed: consentDisplayed, fields: consentFields } = consent;
  const { agent: leavingByGet, hint: getHint } = getLogout;
  const { agent: leavingByPost, hint: postHint } = postLogout;

  const session = (agent: UserAgent) => cookieHeader(agent, ['oauth_session']);
  const interactionCookies = (agent: UserAgent) =>
    cookieHeader(agent, ['oauth_session', 'oauth_interaction']);
  const get = (path: string, headers: Record<string, string> = {}): EndpointRequest => ({
    method: 'GET',
    path,
    headers,
  });

  return new Map<EndpointName, EndpointRequest>([
    ['GET /.well-known/oauth-authorization-server', get('/.well-known/oauth-authorization-server')],
    ['GET /.well-known/openid-configuration', get('/.well-known/openid-configuration')],
    ['GET /jwks.json', get('/jwks.json')],
    ['GET /health', get('/health')],
    [
      'POST /token client_credentials',
      formRequest('/token', { grant_type: 'client_credentials' }, clientAuthorization('service')),
    ],
    [
      'POST /token authorization_code',
      formRequest(
        '/token',
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
        clientAuthorization('web-app'),
      ),
    ],
    [
      'POST /token refresh_token',
      formRequest(
        '/token',
        { grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) },
        clientAuthorization('web-app'),
      ),
    ],
    [
      'POST /introspect',
      formRequest('/introspect', { token: accessToken }, clientAuthorization('service')),
    ],
    [
      'POST /revoke',
      formRequest(
        '/revoke',
        { token: String(revocable.refresh_token), token_type_hint: 'refresh_token' },
        clientAuthorization('web-app'),
      ),
    ],
    ['GET /userinfo', get('/userinfo', { authorization: `Bearer ${accessToken}` })],
    ['POST /userinfo', formRequest('/userinfo', { access_token: accessToken })],
    [
      'GET /authorize',
      get(`/authorize?${new URLSearchParams(codeParameters()).toString()}`, session(browser)),
    ],
    ['POST /authorize', formRequest('/authorize', codeParameters(), session(browser))],
    [
      'GET /login',
      get(`/login?interaction=${loginDisplayed}`, interactionCookies(signingIn)),
    ],
    [
      'POST /login',
      formRequest(
        '/login',
        { interaction: loginFields.interaction, csrf_token: loginFields.csrfToken, ...ALICE },
        interactionCookies(signingIn),
      ),
    ],
    [
      'GET /consent',
      get(`/consent?interaction=${consentDisplayed}`, interactionCookies(consenting)),
    ],
    [
      'POST /consent',
      formRequest(
        '/consent',
        {
          interaction: consentFields.interaction,
          csrf_token: consentFields.csrfToken,
          decision: 'allow',
        },
        interactionCookies(consenting),
      ),
    ],
    [
      'GET /logout',
      get(
        `/logout?${new URLSearchParams({
          id_token_hint: String(getHint.id_token),
          post_logout_redirect_uri: LOGGED_OUT,
        }).toString()}`,
        session(leavingByGet),
      ),
    ],
    [
      'POST /logout',
      formRequest(
        '/logout',
        { id_token_hint: String(postHint.id_token), post_logout_redirect_uri: LOGGED_OUT },
        { ...session(leavingByPost), origin: issuer },
      ),
    ],
  ]);
}

/** Sends a prepared request and waits at most RESPONSE_BOUND_MILLISECONDS for the response. */
async function send(server: TestServer, request: EndpointRequest): Promise<Outcome> {
  const started = performance.now();
  try {
    const response = await fetch(`${server.url}${request.path}`, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(RESPONSE_BOUND_MILLISECONDS),
    });
    const text = await response.text();
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      text,
      milliseconds: performance.now() - started,
    };
  } catch {
    return {
      status: 'no response',
      retryAfter: null,
      text: '',
      milliseconds: performance.now() - started,
    };
  }
}

/** Sends a request again after the Retry-After delay when its first response was 503. */
async function retryAfter503(
  server: TestServer,
  request: EndpointRequest,
  first: Outcome,
): Promise<Outcome> {
  if (first.status !== 503) return first;
  await new Promise((resolve) => setTimeout(resolve, Number(first.retryAfter ?? '1') * 1000));
  return send(server, request);
}

interface SustainedScenario {
  title: string;
  fault: Fault;
  selection: FaultSelection;
  /**
   * Whether the code redemption and the refresh are sent again after a 503. Scenarios that
   * fault a fraction of requests leave it off: which call fails there depends on how the
   * concurrent requests interleave, so the outcome would differ from run to run.
   */
  retriesGrants: boolean;
}

/** The outcomes of one scenario: one per endpoint, and the grants sent again. */
interface ScenarioRun {
  outcomes: Map<EndpointName, Outcome>;
  codeRetry: Outcome | undefined;
  refreshRetry: Outcome | undefined;
}

const SUSTAINED: SustainedScenario[] = [
  {
    title: 'every request throttled',
    fault: { kind: 'throttle', error: 'ProvisionedThroughputExceededException' },
    selection: {},
    retriesGrants: true,
  },
  {
    title: 'every request fails with 500',
    fault: { kind: 'internal-error' },
    selection: {},
    retriesGrants: true,
  },
  { title: 'every connection drops', fault: { kind: 'drop' }, selection: {}, retriesGrants: true },
  {
    title: 'every response lost after the request applies',
    fault: { kind: 'drop-after-apply' },
    selection: {},
    retriesGrants: true,
  },
  {
    title: 'every write throttled',
    fault: { kind: 'throttle', error: 'ThrottlingException' },
    selection: { operations: WRITES },
    retriesGrants: true,
  },
  {
    title: 'every write applied and its response lost',
    fault: { kind: 'drop-after-apply' },
    selection: { operations: WRITES },
    retriesGrants: true,
  },
  {
    title: 'half the requests throttled',
    fault: { kind: 'throttle', error: 'ThrottlingException' },
    selection: { fraction: 0.5, seed: 7 },
    retriesGrants: false,
  },
  {
    title: 'a third of the connections drop',
    fault: { kind: 'drop' },
    selection: { fraction: 0.33, seed: 11 },
    retriesGrants: false,
  },
  {
    title: 'every response slow',
    fault: { kind: 'slow', delayMilliseconds: SLOW_MILLISECONDS },
    selection: {},
    retriesGrants: true,
  },
  {
    title: 'every request unanswered',
    fault: { kind: 'hang' },
    selection: {},
    retriesGrants: true,
  },
];

/**
 * Prepares the requests, sends them all at once under the fault, clears it, and sends the
 * code redemption and the refresh again if they got 503.
 */
function runSustained(scenario: SustainedScenario): Promise<ScenarioRun> {
  return withProxyAndServer(async (proxy, server) => {
    const requests = await prepareRequests(server);
    proxy.inject(scenario.fault, scenario.selection);
    const sent = await Promise.all(
      ENDPOINTS.map(async (name) => {
        const outcome = await send(server, requireRequest(requests, name));
        return [name, outcome] as const;
      }),
    );
    proxy.clear();
    const outcomes = new Map<EndpointName, Outcome>(sent);
    if (!scenario.retriesGrants) return { outcomes, codeRetry: undefined, refreshRetry: undefined };

    const retry = (name: EndpointName) =>
      retryAfter503(server, requireRequest(requests, name), requireOutcome(outcomes, name));
    return {
      outcomes,
      codeRetry: await retry('POST /token authorization_code'),
      refreshRetry: await retry('POST /token refresh_token'),
    };
  });
}

function requireRequest(requests: Map<EndpointName, EndpointRequest>, name: EndpointName) {
  const request = requests.get(name);
  if (request === undefined) throw new Error(`No request prepared for ${name}`);
  return request;
}

function requireOutcome(outcomes: Map<EndpointName, Outcome>, name: EndpointName): Outcome {
  const outcome = outcomes.get(name);
  if (outcome === undefined) throw new Error(`No outcome for ${name}`);
  return outcome;
}

/** Describes a request sent twice, for a failure message: timing matters to the retry. */
function describeRetry(first: Outcome, retry: Outcome | undefined): string {
  const firstPart = `first ${first.status} after ${Math.round(first.milliseconds)} ms`;
  return `${firstPart}, then ${retry?.status ?? 'not sent'}: ${retry?.text ?? ''}`;
}

/** The expected statuses of every endpoint, which do not depend on the server's port. */
const EXPECTED: Record<EndpointName, number[]> = {
  'GET /.well-known/oauth-authorization-server': [200],
  'GET /.well-known/openid-configuration': [200],
  'GET /jwks.json': [200],
  'GET /health': [200],
  'POST /token client_credentials': [200],
  'POST /token authorization_code': [200],
  'POST /token refresh_token': [200],
  'POST /introspect': [200],
  'POST /revoke': [200],
  'GET /userinfo': [200],
  'POST /userinfo': [200],
  'GET /authorize': [302],
  'POST /authorize': [302],
  'GET /login': [200],
  'POST /login': [303],
  'GET /consent': [200],
  'POST /consent': [303],
  'GET /logout': [302],
  'POST /logout': [200, 303],
};

describe.each(SUSTAINED)('sustained fault › $title', (scenario) => {
  let run: ScenarioRun;

  beforeAll(async () => {
    run = await requireRun(sustainedRuns, scenario.title);
  }, SCENARIO_TIMEOUT_MILLISECONDS);

  it.each(ENDPOINTS)('serves %s or responds 503', (name) => {
    const { status } = requireOutcome(run.outcomes, name);

    expect([...EXPECTED[name], 503]).toContain(status);
  });

  it('sends Retry-After with every 503', () => {
    const without = [...run.outcomes]
      .filter(([, outcome]) => outcome.status === 503)
      .filter(([, outcome]) => !/^[1-9]\d*$/.test(outcome.retryAfter ?? ''))
      .map(([name]) => name);

    expect(without).toEqual([]);
  });

  it('reveals no internals in errors', () => {
    const revealing = [...run.outcomes]
      .filter(([, outcome]) => typeof outcome.status === 'number' && outcome.status >= 400)
      .filter(([, outcome]) => INTERNALS.test(outcome.text))
      .map(([name, outcome]) => `${name}: ${outcome.text.slice(0, 200)}`);

    expect(revealing).toEqual([]);
  });

  it.runIf(scenario.retriesGrants)('keeps the code redeemable by the same request', () => {
    const first = requireOutcome(run.outcomes, 'POST /token authorization_code');

    expect(run.codeRetry?.status, describeRetry(first, run.codeRetry)).toBe(200);
  });

  it.runIf(scenario.retriesGrants)('keeps the refresh token usable by the same request', () => {
    const first = requireOutcome(run.outcomes, 'POST /token refresh_token');

    expect(run.refreshRetry?.status, describeRetry(first, run.refreshRetry)).toBe(200);
  });
});

interface TransientScenario {
  title: string;
  fault: Fault;
  selection: FaultSelection;
  /** Endpoints that must have met the fault, so that the scenario tests something. */
  mustFault: readonly EndpointName[];
}

const TABLE_ENDPOINTS = ENDPOINTS.filter((name) => !WITHOUT_TABLE.includes(name));

const TRANSIENT: TransientScenario[] = [
  {
    title: 'one throttled call',
    fault: { kind: 'throttle' },
    selection: {},
    mustFault: TABLE_ENDPOINTS,
  },
  {
    title: 'one 500',
    fault: { kind: 'internal-error' },
    selection: {},
    mustFault: TABLE_ENDPOINTS,
  },
  {
    title: 'one dropped connection',
    fault: { kind: 'drop' },
    selection: {},
    mustFault: TABLE_ENDPOINTS,
  },
  {
    title: 'one applied write whose response is lost',
    fault: { kind: 'drop-after-apply' },
    selection: { operations: WRITES },
    mustFault: [
      'POST /token authorization_code',
      'POST /token refresh_token',
      'POST /revoke',
      'GET /authorize',
      'POST /login',
      'POST /consent',
      'GET /logout',
    ],
  },
];

/** The outcome per endpoint, and the endpoints whose request met the fault. */
interface TransientRun {
  outcomes: Map<EndpointName, Outcome>;
  faulted: Set<EndpointName>;
}

/** Sends the requests one at a time, each with one fault armed, and records which met it. */
function runTransient(scenario: TransientScenario): Promise<TransientRun> {
  return withProxyAndServer(async (proxy, server) => {
    const outcomes = new Map<EndpointName, Outcome>();
    const faulted = new Set<EndpointName>();
    const requests = await prepareRequests(server);
    for (const name of ENDPOINTS) {
      proxy.resetLog();
      proxy.inject(scenario.fault, { ...scenario.selection, count: 1 });
      outcomes.set(name, await send(server, requireRequest(requests, name)));
      proxy.clear();
      if (proxy.injectedCount() > 0) faulted.add(name);
    }
    return { outcomes, faulted };
  });
}

async function requireRun<Run>(runs: Map<string, Promise<Run>>, title: string): Promise<Run> {
  const run = runs.get(title);
  if (run === undefined) throw new Error(`The scenario ${title} was not started.`);
  return run;
}

describe.each(TRANSIENT)('transient fault › $title', (scenario) => {
  let run: TransientRun;

  beforeAll(async () => {
    run = await requireRun(transientRuns, scenario.title);
  }, SCENARIO_TIMEOUT_MILLISECONDS);

  it('meets the fault in every endpoint that needs it', () => {
    const missed = scenario.mustFault.filter((name) => !run.faulted.has(name));

    expect(missed).toEqual([]);
  });

  it.each(ENDPOINTS)('serves %s after the SDK retry', (name) => {
    const { status } = requireOutcome(run.outcomes, name);

    expect(EXPECTED[name]).toContain(status);
  });
});
