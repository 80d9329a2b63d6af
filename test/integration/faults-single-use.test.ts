/**
 * Storage faults during the single-use writes of the token endpoint: the redemption of an
 * authorization code and the rotation of a refresh token. Whatever fails, the grant must
 * survive: the first request issues tokens after the SDK's retries, or it gets 503 and the
 * same request, sent again, issues them.
 *
 * The fault proxy sits between the server and dynalite and targets one write by its
 * operation and an attribute name in its body. The server keeps nothing in memory
 * (MEMORY_CACHE_SECONDS=0), as a cold function, so every request reads the client and the
 * signing keys from the table.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newPkcePair, UserAgent, type UserCredentials } from '../support/authorization-flow.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import type { TokenResult } from '../support/token-requests.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const CLIENT_ID = 'web-app';
const CLIENT_SECRET = 'web-app-secret-0123456789';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };

/**
 * Longer than the SDK's request timeout of 2 s (functions/storage/dynamodb.ts), so that
 * every attempt of a slow call times out.
 */
const SLOW_MILLISECONDS = 2_500;

/**
 * The maximum wait for one response. A request whose table call times out on each of the
 * SDK's 3 attempts gets 503 after about 6.5 s, and the rest is margin for a busy machine.
 * NOTE: the SDK enforces its request timeout only with throwOnRequestTimeout, which
 * functions/storage/dynamodb.ts does not set yet, so a call that hangs never fails.
 */
const RESPONSE_BOUND_MILLISECONDS = 15_000;

/** The maximum duration of a test with slow faults: a bounded response, a retry and the flow. */
const SLOW_TEST_MILLISECONDS = 40_000;

/** Text in the body of each targeted write, from the repositories under functions/storage. */
const REDEEM_CODE = { operations: ['UpdateItem'], bodyContains: 'consumedAt' };
const CREATE_FAMILY = { operations: ['PutItem'], bodyContains: 'derivationKey' };
const MARK_ROTATED = { operations: ['UpdateItem'], bodyContains: 'rotatedAt' };
const SAVE_REFRESH_TOKEN = { operations: ['PutItem'], bodyContains: '"generation"' };
const READ_USER = { operations: ['GetItem'], bodyContains: 'USER#' };
const QUERY_SIGNING_KEYS = { operations: ['Query'], bodyContains: 'SIGNING_KEY' };

let table: TestTable;
let proxy: FaultProxy;
let server: TestServer;
let browser: UserAgent;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      clientId: CLIENT_ID,
      secret: CLIENT_SECRET,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'api:read'],
      skipConsent: true,
    },
  ]);
  await createUser(table.endpoint, ALICE.username, ALICE.password);
  proxy = await startFaultProxy(table.endpoint);
  server = await startServer({
    DYNAMODB_ENDPOINT: proxy.endpoint,
    TABLE_NAME: TEST_TABLE,
    MEMORY_CACHE_SECONDS: '0',
  });
  browser = new UserAgent(server.url);
});

afterAll(async () => {
  await server?.stop();
  await proxy?.close();
  await table?.close();
});

beforeEach(() => {
  proxy.clear();
  proxy.resetLog();
});

/** A code redemption request, ready to be sent and sent again. */
interface Redemption {
  form: Record<string, string>;
  verifier: string;
}

/** Runs the flow as Alice with PKCE, while the proxy forwards everything. */
async function newRedemption(): Promise<Redemption> {
  const { verifier, challenge } = newPkcePair();
  const { code } = await browser.obtainCode(
    {
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: 'openid api:read',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    },
    ALICE,
  );
  const form = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  };
  return { form, verifier };
}

/**
 * POSTs a form to /token as the client, and fails when no response arrives within
 * RESPONSE_BOUND_MILLISECONDS.
 */
async function sendToken(form: Record<string, string>): Promise<TokenResult> {
  let response: Response;
  try {
    response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuthorization(CLIENT_ID, CLIENT_SECRET),
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(RESPONSE_BOUND_MILLISECONDS),
    });
  } catch (cause) {
    throw new Error(`POST /token sent no response within ${RESPONSE_BOUND_MILLISECONDS} ms.`, {
      cause,
    });
  }
  const text = await response.text();
  return { response, body: JSON.parse(text) as Record<string, unknown> };
}

/** The responses to a request that a client sends again after a 503, as Retry-After requests. */
interface Attempts {
  first: TokenResult;
  final: TokenResult;
}

/**
 * Sends a token request while the injected fault is active, clears the fault, and sends the
 * same request again after the Retry-After delay when the first response was 503.
 */
async function sendAndRetry(form: Record<string, string>): Promise<Attempts> {
  const first = await sendToken(form);
  proxy.clear();
  if (first.response.status !== 503) return { first, final: first };

  const retryAfterSeconds = Number(first.response.headers.get('retry-after') ?? '1');
  await new Promise((resolve) => setTimeout(resolve, retryAfterSeconds * 1000));
  return { first, final: await sendToken(form) };
}

/** Obtains a refresh token with no fault active. */
async function newRefreshToken(): Promise<string> {
  const { form } = await newRedemption();
  const { body } = await sendToken(form);
  if (typeof body.refresh_token !== 'string') {
    throw new Error(`The code redemption returned no refresh token: ${JSON.stringify(body)}`);
  }
  return body.refresh_token;
}

function refreshForm(refreshToken: string): Record<string, string> {
  return { grant_type: 'refresh_token', refresh_token: refreshToken };
}

describe('code redemption › faults before the write applies', () => {
  it('issues tokens after two throttled attempts', async () => {
    const { form } = await newRedemption();
    proxy.inject({ kind: 'throttle' }, { ...REDEEM_CODE, count: 2 });

    const { first } = await sendAndRetry(form);

    expect(proxy.injectedCount()).toBe(2);
    expect(first.response.status).toBe(200);
    expect(first.body.refresh_token).toEqual(expect.any(String));
  });

  it('keeps the code when every attempt is throttled', async () => {
    const { form } = await newRedemption();
    proxy.inject({ kind: 'throttle', error: 'ThrottlingException' }, REDEEM_CODE);

    const { first, final } = await sendAndRetry(form);

    expect(proxy.injectedCount()).toBe(3);
    expect(first.response.status).toBe(503);
    expect(first.response.headers.get('retry-after')).toBe('1');
    expect(final.response.status).toBe(200);
  });

  it('keeps the code when every attempt fails with 500', async () => {
    const { form } = await newRedemption();
    proxy.inject({ kind: 'internal-error' }, REDEEM_CODE);

    const { first, final } = await sendAndRetry(form);

    expect(proxy.injectedCount()).toBe(3);
    expect(first.response.status).toBe(503);
    expect(final.response.status).toBe(200);
  });

  it('keeps the code when every connection drops', async () => {
    const { form } = await newRedemption();
    proxy.inject({ kind: 'drop' }, REDEEM_CODE);

    const { first, final } = await sendAndRetry(form);

    expect(proxy.injectedCount()).toBe(3);
    expect(first.response.status).toBe(503);
    expect(final.response.status).toBe(200);
  });

  it(
    'responds 503 when every attempt hangs',
    async () => {
      const { form } = await newRedemption();
      proxy.inject({ kind: 'hang' }, REDEEM_CODE);

      const { first, final } = await sendAndRetry(form);

      expect(proxy.injectedCount()).toBe(3);
      expect(first.response.status).toBe(503);
      expect(final.response.status).toBe(200);
    },
    SLOW_TEST_MILLISECONDS,
  );
});

// NOTE: in this block and the next, a test whose first request gets 503 fails today. Each request
// stores a new random redemption id, so the server takes the retry for a replay: it returns
// invalid_grant and revokes the refresh token family of the first request.
describe('code redemption › faults after the write applies', () => {
  it('issues tokens when one applied response is dropped', async () => {
    const { form } = await newRedemption();
    proxy.inject({ kind: 'drop-after-apply' }, { ...REDEEM_CODE, count: 1 });

    const { first, final } = await sendAndRetry(form);

    expect(proxy.injectedCount()).toBe(1);
    expect([200, 503]).toContain(first.response.status);
    expect(final.response.status).toBe(200);
    expect(final.body.refresh_token).toEqual(expect.any(String));
  });

  it('lets the same request succeed after every response is dropped', async () => {
    const { form } = await newRedemption();
    proxy.inject({ kind: 'drop-after-apply' }, REDEEM_CODE);

    const { first, final } = await sendAndRetry(form);

    expect(proxy.injectedCount()).toBeGreaterThanOrEqual(1);
    expect([200, 503]).toContain(first.response.status);
    expect(final.response.status).toBe(200);
    expect(final.body.refresh_token).toEqual(expect.any(String));
  });

  it('keeps the issued refresh token usable after the retry', async () => {
    const { form } = await newRedemption();
    proxy.inject({ kind: 'drop-after-apply' }, REDEEM_CODE);
    const { final } = await sendAndRetry(form);

    const refreshed = await sendToken(refreshForm(String(final.body.refresh_token)));

    expect(final.response.status).toBe(200);
    expect(refreshed.response.status).toBe(200);
  });

  it(
    'lets the same request succeed after slow responses',
    async () => {
      const { form } = await newRedemption();
      proxy.inject({ kind: 'slow', delayMilliseconds: SLOW_MILLISECONDS }, REDEEM_CODE);

      const { first, final } = await sendAndRetry(form);

      expect(proxy.injectedCount()).toBeGreaterThanOrEqual(1);
      expect([200, 503]).toContain(first.response.status);
      expect(final.response.status).toBe(200);
    },
    SLOW_TEST_MILLISECONDS,
  );

  it(
    'lets the same request succeed after late writes',
    async () => {
      const { form } = await newRedemption();
      // Each attempt reaches dynalite only after the SDK has given up on it.
      proxy.inject(
        { kind: 'slow', delayMilliseconds: SLOW_MILLISECONDS, forward: 'after-delay' },
        REDEEM_CODE,
      );

      const { first, final } = await sendAndRetry(form);

      expect(proxy.injectedCount()).toBeGreaterThanOrEqual(1);
      expect([200, 503]).toContain(first.response.status);
      expect(final.response.status).toBe(200);
    },
    SLOW_TEST_MILLISECONDS,
  );

  it('rejects another verifier after a dropped response', async () => {
    const { form } = await newRedemption();
    proxy.inject({ kind: 'drop-after-apply' }, REDEEM_CODE);
    await sendToken(form);
    proxy.clear();

    const replay = await sendToken({ ...form, code_verifier: newPkcePair().verifier });

    expect(replay.response.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
  });
});

describe('code redemption › faults after the code is consumed', () => {
  it('lets the same request succeed when the family write fails', async () => {
    const { form } = await newRedemption();
    proxy.inject({ kind: 'throttle' }, CREATE_FAMILY);

    const { first, final } = await sendAndRetry(form);

    expect(proxy.injectedCount()).toBe(3);
    expect(first.response.status).toBe(503);
    expect(final.response.status).toBe(200);
  });

  it('issues tokens when the family write response is dropped once', async () => {
    const { form } = await newRedemption();
    proxy.inject({ kind: 'drop-after-apply' }, { ...CREATE_FAMILY, count: 1 });

    const { first, final } = await sendAndRetry(form);

    expect(proxy.injectedCount()).toBe(1);
    expect([200, 503]).toContain(first.response.status);
    expect(final.response.status).toBe(200);
  });

  it('lets the same request succeed when the signing keys are unreadable', async () => {
    const { form } = await newRedemption();
    // The signing keys are read after the redemption, once the client is authenticated.
    proxy.inject({ kind: 'internal-error' }, QUERY_SIGNING_KEYS);

    const { first, final } = await sendAndRetry(form);

    expect(proxy.injectedCount()).toBe(3);
    expect(first.response.status).toBe(503);
    expect(final.response.status).toBe(200);
  });
});

describe('refresh › faults during rotation', () => {
  it('issues tokens when one applied response is dropped', async () => {
    const refreshToken = await newRefreshToken();
    proxy.inject({ kind: 'drop-after-apply' }, { ...MARK_ROTATED, count: 1 });

    const { first } = await sendAndRetry(refreshForm(refreshToken));

    expect(proxy.injectedCount()).toBe(1);
    expect(first.response.status).toBe(200);
  });

  it('lets the same request succeed after every response is dropped', async () => {
    const refreshToken = await newRefreshToken();
    proxy.inject({ kind: 'drop-after-apply' }, MARK_ROTATED);

    const { first, final } = await sendAndRetry(refreshForm(refreshToken));

    expect(proxy.injectedCount()).toBe(3);
    expect(first.response.status).toBe(503);
    expect(final.response.status).toBe(200);
  });

  it('keeps the successor usable after the retry', async () => {
    const refreshToken = await newRefreshToken();
    proxy.inject({ kind: 'drop-after-apply' }, MARK_ROTATED);
    const { final } = await sendAndRetry(refreshForm(refreshToken));

    const next = await sendToken(refreshForm(String(final.body.refresh_token)));

    expect(final.response.status).toBe(200);
    expect(next.response.status).toBe(200);
  });

  it('lets the same request succeed when the successor write fails', async () => {
    const refreshToken = await newRefreshToken();
    proxy.inject({ kind: 'throttle' }, SAVE_REFRESH_TOKEN);

    const { first, final } = await sendAndRetry(refreshForm(refreshToken));

    expect(proxy.injectedCount()).toBe(3);
    expect(first.response.status).toBe(503);
    expect(final.response.status).toBe(200);
  });

  it('lets the same request succeed when the user is unreadable', async () => {
    const refreshToken = await newRefreshToken();
    proxy.inject({ kind: 'drop' }, READ_USER);

    const { first, final } = await sendAndRetry(refreshForm(refreshToken));

    expect(proxy.injectedCount()).toBe(3);
    expect(first.response.status).toBe(503);
    expect(final.response.status).toBe(200);
  });

  // NOTE: this passes only while the SDK's request timeout is not enforced. Once it is, the
  // 503 comes about 6.5 s after the rotation, later than REFRESH_TOKEN_REUSE_GRACE_SECONDS (5 by
  // default), so the retry revokes the family.
  it(
    'lets the same request succeed after slow responses',
    async () => {
      const refreshToken = await newRefreshToken();
      proxy.inject({ kind: 'slow', delayMilliseconds: SLOW_MILLISECONDS }, MARK_ROTATED);

      const { first, final } = await sendAndRetry(refreshForm(refreshToken));

      expect(proxy.injectedCount()).toBeGreaterThanOrEqual(1);
      expect([200, 503]).toContain(first.response.status);
      expect(final.response.status).toBe(200);
    },
    SLOW_TEST_MILLISECONDS,
  );
});
