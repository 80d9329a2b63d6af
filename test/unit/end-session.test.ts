import { generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signAccessToken } from '../../functions/oauth/access-token.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import {
  confirmationFields,
  decideLogoutStep,
  isSameOriginPost,
  postLogoutLocation,
  validateLogoutRequest,
  type EndSessionContext,
  type LogoutRequest,
} from '../../functions/oauth/end-session.ts';
import { signIdToken } from '../../functions/oauth/id-token.ts';
import type { SigningAlgorithm } from '../../functions/oauth/signing-keys.ts';
import { SigningKeys } from '../../functions/oauth/signing-keys.ts';
import { ISSUER, USER_ID, webClient } from './authorization-context.ts';
import { form } from './token-context.ts';
import {
  FrozenClock,
  InMemoryClientStore,
  InMemorySigningKeyStore,
  TEST_KEY_ENCRYPTION,
  rejectedOAuthError,
} from './support.ts';

const LOGGED_OUT = 'https://app.example.com/logged-out';

interface TestEndSessionContext extends EndSessionContext {
  clock: FrozenClock;
}

function endSessionContext(): TestEndSessionContext {
  const clock = new FrozenClock();
  const clients = new InMemoryClientStore();
  clients.put(webClient({ postLogoutRedirectUris: [LOGGED_OUT] }));
  clients.put(webClient({ clientId: 'other-app' }));
  return {
    issuer: ISSUER,
    clients,
    signingKeys: new SigningKeys(new InMemorySigningKeyStore(), clock, 60, TEST_KEY_ENCRYPTION),
    clock,
  };
}

/** Signs an ID token of web-app for USER_ID with the context's current key. */
async function idToken(
  context: TestEndSessionContext,
  {
    algorithm = 'ES256',
    clientId = 'web-app',
  }: { algorithm?: SigningAlgorithm; clientId?: string } = {},
): Promise<string> {
  return signIdToken(
    {
      issuer: ISSUER,
      subject: USER_ID,
      clientId,
      issuedAt: epochSeconds(context.clock),
      lifetimeSeconds: 300,
    },
    await context.signingKeys.current(algorithm),
  );
}

describe('validateLogoutRequest', () => {
  it('accepts hint and registered redirect', async () => {
    const context = endSessionContext();
    const hint = await idToken(context);

    const request = await validateLogoutRequest(
      form({ id_token_hint: hint, post_logout_redirect_uri: LOGGED_OUT, state: 'state-1' }),
      context,
    );

    expect(request).toEqual({
      clientId: 'web-app',
      postLogoutRedirectUri: LOGGED_OUT,
      state: 'state-1',
      hintSubject: USER_ID,
      idTokenHint: hint,
    });
  });

  it('accepts RS256 hint', async () => {
    const context = endSessionContext();
    const hint = await idToken(context, { algorithm: 'RS256' });

    const request = await validateLogoutRequest(form({ id_token_hint: hint }), context);

    expect(request.hintSubject).toBe(USER_ID);
  });

  it('accepts expired hint', async () => {
    const context = endSessionContext();
    const hint = await idToken(context);
    context.clock.advance(30 * 86_400_000);

    const request = await validateLogoutRequest(form({ id_token_hint: hint }), context);

    expect(request.hintSubject).toBe(USER_ID);
  });

  it('accepts client_id with registered redirect', async () => {
    const context = endSessionContext();

    const request = await validateLogoutRequest(
      form({ client_id: 'web-app', post_logout_redirect_uri: LOGGED_OUT }),
      context,
    );

    expect(request).toEqual({ clientId: 'web-app', postLogoutRedirectUri: LOGGED_OUT });
  });

  it('accepts request without parameters', async () => {
    const request = await validateLogoutRequest(form({}), endSessionContext());

    expect(request).toEqual({});
  });

  it('rejects hint signed by another key', async () => {
    const context = endSessionContext();
    await context.signingKeys.current();
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'made-up' })
      .setIssuer(ISSUER)
      .setSubject(USER_ID)
      .setAudience('web-app')
      .setIssuedAt()
      .sign(privateKey);

    const error = await rejectedOAuthError(
      validateLogoutRequest(form({ id_token_hint: forged }), context),
    );

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe('The id_token_hint is not an ID token issued by this server.');
  });

  it('rejects access token as hint', async () => {
    const context = endSessionContext();
    const { token } = await signAccessToken(
      {
        issuer: ISSUER,
        subject: USER_ID,
        clientId: 'web-app',
        audience: 'web-app',
        scopes: ['openid'],
        issuedAt: epochSeconds(context.clock),
        lifetimeSeconds: 600,
      },
      await context.signingKeys.current(),
    );

    const error = await rejectedOAuthError(
      validateLogoutRequest(form({ id_token_hint: token }), context),
    );

    expect(error.description).toBe('The id_token_hint is not an ID token issued by this server.');
  });

  it('rejects malformed hint', async () => {
    const error = await rejectedOAuthError(
      validateLogoutRequest(form({ id_token_hint: 'not-a-jwt' }), endSessionContext()),
    );

    expect(error.error).toBe('invalid_request');
  });

  it('rejects client_id unlike hint audience', async () => {
    const context = endSessionContext();
    const hint = await idToken(context);

    const error = await rejectedOAuthError(
      validateLogoutRequest(form({ id_token_hint: hint, client_id: 'other-app' }), context),
    );

    expect(error.description).toBe('The client_id differs from the audience of the id_token_hint.');
  });

  it('rejects unregistered redirect', async () => {
    const context = endSessionContext();

    const error = await rejectedOAuthError(
      validateLogoutRequest(
        form({ client_id: 'web-app', post_logout_redirect_uri: 'https://evil.example.com/' }),
        context,
      ),
    );

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe(
      "The post_logout_redirect_uri 'https://evil.example.com/' is not registered for this client.",
    );
  });

  it('rejects redirect of client without any', async () => {
    const context = endSessionContext();
    const hint = await idToken(context, { clientId: 'other-app' });

    const error = await rejectedOAuthError(
      validateLogoutRequest(
        form({ id_token_hint: hint, post_logout_redirect_uri: LOGGED_OUT }),
        context,
      ),
    );

    expect(error.description).toMatch(/is not registered for this client/);
  });

  it('rejects redirect without client', async () => {
    const error = await rejectedOAuthError(
      validateLogoutRequest(form({ post_logout_redirect_uri: LOGGED_OUT }), endSessionContext()),
    );

    expect(error.description).toBe(
      'A post_logout_redirect_uri needs an id_token_hint or a client_id that names the client.',
    );
  });

  it('rejects redirect of unknown client', async () => {
    const error = await rejectedOAuthError(
      validateLogoutRequest(
        form({ client_id: 'nobody', post_logout_redirect_uri: LOGGED_OUT }),
        endSessionContext(),
      ),
    );

    expect(error.description).toBe("The client 'nobody' is not registered.");
  });

  it('rejects overlong state', async () => {
    const error = await rejectedOAuthError(
      validateLogoutRequest(form({ state: 'x'.repeat(2049) }), endSessionContext()),
    );

    expect(error.description).toBe('The state parameter is longer than 2048.');
  });
});

describe('decideLogoutStep', () => {
  const hinted: LogoutRequest = { hintSubject: USER_ID };
  const cases: Array<[string, LogoutRequest, string, boolean, string | undefined, string]> = [
    ['hint of signed-in user', hinted, 'GET', false, USER_ID, 'end_session'],
    ['hint of another user', { hintSubject: 'user-2' }, 'GET', false, USER_ID, 'confirm'],
    ['no hint while signed in', {}, 'GET', false, USER_ID, 'confirm'],
    ['GET while signed out', {}, 'GET', false, undefined, 'end_session'],
    ['POST while signed out', hinted, 'POST', false, undefined, 'confirm'],
    ['confirmed POST', {}, 'POST', true, USER_ID, 'end_session'],
    ['confirmed POST while signed out', {}, 'POST', true, undefined, 'end_session'],
  ];

  it.each(cases)('decides for %s', (_name, request, method, confirmed, userId, expected) => {
    const step = decideLogoutStep(request, { method, confirmed, signedInUserId: userId });

    expect(step).toBe(expected);
  });
});

describe('isSameOriginPost', () => {
  it('accepts Origin of issuer', () => {
    expect(isSameOriginPost({ origin: 'https://auth.example.com' }, ISSUER)).toBe(true);
  });

  it('rejects Origin of another site', () => {
    expect(isSameOriginPost({ origin: 'https://app.example.com' }, ISSUER)).toBe(false);
  });

  it('rejects null Origin despite Sec-Fetch-Site', () => {
    const headers = { origin: 'null', 'sec-fetch-site': 'same-origin' };

    expect(isSameOriginPost(headers, ISSUER)).toBe(false);
  });

  it('falls back to Sec-Fetch-Site', () => {
    expect(isSameOriginPost({ 'sec-fetch-site': 'same-origin' }, ISSUER)).toBe(true);
    expect(isSameOriginPost({ 'sec-fetch-site': 'cross-site' }, ISSUER)).toBe(false);
  });

  it('rejects request without either header', () => {
    expect(isSameOriginPost({}, ISSUER)).toBe(false);
  });
});

describe('postLogoutLocation', () => {
  it('returns nothing without redirect', () => {
    expect(postLogoutLocation({ state: 'state-1' })).toBeUndefined();
  });

  it('appends encoded state', () => {
    const location = postLogoutLocation({ postLogoutRedirectUri: LOGGED_OUT, state: 'a b&c' });

    expect(location).toBe(`${LOGGED_OUT}?state=a+b%26c`);
  });

  it('keeps registered query', () => {
    const uri = 'https://app.example.com/out?from=auth';

    const location = postLogoutLocation({ postLogoutRedirectUri: uri, state: 's' });

    expect(location).toBe('https://app.example.com/out?from=auth&state=s');
  });

  it('returns redirect unchanged without state', () => {
    expect(postLogoutLocation({ postLogoutRedirectUri: LOGGED_OUT })).toBe(LOGGED_OUT);
  });
});

describe('confirmationFields', () => {
  it('keeps logout parameters only', () => {
    const fields = confirmationFields(
      form({ id_token_hint: 'hint', state: 's', confirm: 'yes', other: 'x', client_id: 'web-app' }),
    );

    expect(fields).toEqual({ id_token_hint: 'hint', state: 's', client_id: 'web-app' });
  });
});
