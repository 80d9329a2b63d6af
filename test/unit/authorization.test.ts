import { describe, expect, it } from 'vitest';
import {
  completeAuthorization,
  decideNextStep,
  errorRedirect,
  findSignedInUser,
  startInteraction,
} from '../../functions/oauth/authorization.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import { AccessDeniedError, InvalidScopeError } from '../../functions/oauth/errors.ts';
import { hashSecretValue } from '../../functions/oauth/grant-records.ts';
import {
  authorizationContext,
  authorizationRequest,
  ISSUER,
  REDIRECT_URI,
  signIn,
  USER_ID,
  webClient,
} from './authorization-context.ts';
import { rejectedOAuthError } from './support.ts';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('decideNextStep', () => {
  it('asks login without session', async () => {
    const context = authorizationContext();

    const step = await decideNextStep(authorizationRequest(), webClient(), undefined, context);

    expect(step).toEqual({ kind: 'login' });
  });

  it('rejects prompt none without session', async () => {
    const context = authorizationContext();
    const request = authorizationRequest({ prompt: ['none'] });

    const error = await rejectedOAuthError(
      decideNextStep(request, webClient(), undefined, context),
    );

    expect(error.error).toBe('login_required');
    expect(error.description).toMatch(/not signed in/);
  });

  it('asks login for prompt login', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    const request = authorizationRequest({ prompt: ['login'] });

    const step = await decideNextStep(request, webClient(), signedIn, context);

    expect(step.kind).toBe('login');
  });

  it('accepts fresh login for prompt login', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    const request = authorizationRequest({ prompt: ['login'] });
    const client = webClient({ skipConsent: true });

    const step = await decideNextStep(request, client, signedIn, context, { loginFresh: true });

    expect(step.kind).toBe('complete');
  });

  it('asks login when max_age exceeded', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context, 3601);
    const request = authorizationRequest({ maxAge: 3600 });

    const step = await decideNextStep(request, webClient(), signedIn, context);

    expect(step.kind).toBe('login');
  });

  it('asks login once clock passes max_age', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    const request = authorizationRequest({ maxAge: 60 });
    const client = webClient({ skipConsent: true });
    context.clock.advance(61_000);

    const step = await decideNextStep(request, client, signedIn, context);

    expect(step.kind).toBe('login');
  });

  it('keeps session at max_age', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context, 3600);
    const request = authorizationRequest({ maxAge: 3600 });
    const client = webClient({ skipConsent: true });

    const step = await decideNextStep(request, client, signedIn, context);

    expect(step.kind).toBe('complete');
  });

  it('keeps same-second session for max_age 0', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    const request = authorizationRequest({ maxAge: 0 });
    const client = webClient({ skipConsent: true });

    const step = await decideNextStep(request, client, signedIn, context);

    expect(step.kind).toBe('complete');
  });

  it('accepts fresh login for max_age', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context, 3601);
    const request = authorizationRequest({ maxAge: 3600 });
    const client = webClient({ skipConsent: true });

    const step = await decideNextStep(request, client, signedIn, context, { loginFresh: true });

    expect(step.kind).toBe('complete');
  });

  it('rejects prompt none when max_age exceeded', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context, 3601);
    const request = authorizationRequest({ prompt: ['none'], maxAge: 3600 });
    const client = webClient({ skipConsent: true });

    const error = await rejectedOAuthError(decideNextStep(request, client, signedIn, context));

    expect(error.error).toBe('login_required');
  });

  it('completes for skipConsent client', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    const client = webClient({ skipConsent: true });

    const step = await decideNextStep(authorizationRequest(), client, signedIn, context);

    expect(step).toEqual({ kind: 'complete', signedIn });
    expect(context.consents.reads).toBe(0);
  });

  it('ignores prompt consent for skipConsent client', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    const request = authorizationRequest({ prompt: ['consent'] });
    const client = webClient({ skipConsent: true });

    const step = await decideNextStep(request, client, signedIn, context);

    expect(step.kind).toBe('complete');
  });

  it('asks all scopes when none granted', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);

    const step = await decideNextStep(authorizationRequest(), webClient(), signedIn, context);

    expect(step).toEqual({ kind: 'consent', signedIn, scopesToAsk: ['read', 'write'] });
  });

  it('completes when all scopes granted', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    await context.consents.grantScopes(USER_ID, 'web-app', ['read', 'write']);

    const step = await decideNextStep(authorizationRequest(), webClient(), signedIn, context);

    expect(step.kind).toBe('complete');
  });

  it('asks consent for new scope only', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    await context.consents.grantScopes(USER_ID, 'web-app', ['read']);

    const step = await decideNextStep(authorizationRequest(), webClient(), signedIn, context);

    expect(step).toEqual({ kind: 'consent', signedIn, scopesToAsk: ['write'] });
  });

  it('ignores consent given to another client', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    await context.consents.grantScopes(USER_ID, 'other-app', ['read', 'write']);

    const step = await decideNextStep(authorizationRequest(), webClient(), signedIn, context);

    expect(step.kind).toBe('consent');
  });

  it('asks all scopes for prompt consent', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    await context.consents.grantScopes(USER_ID, 'web-app', ['read', 'write']);
    const request = authorizationRequest({ prompt: ['consent'] });

    const step = await decideNextStep(request, webClient(), signedIn, context);

    expect(step).toEqual({ kind: 'consent', signedIn, scopesToAsk: ['read', 'write'] });
  });

  it('completes prompt consent once consent given', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    const request = authorizationRequest({ prompt: ['consent'] });

    const step = await decideNextStep(request, webClient(), signedIn, context, {
      consentGiven: true,
    });

    expect(step.kind).toBe('complete');
  });

  it('rejects prompt none when consent needed', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    await context.consents.grantScopes(USER_ID, 'web-app', ['read']);
    const request = authorizationRequest({ prompt: ['none'] });

    const error = await rejectedOAuthError(decideNextStep(request, webClient(), signedIn, context));

    expect(error.error).toBe('consent_required');
    expect(error.description).toMatch(/must consent/);
  });

  it('completes prompt none when consent exists', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    await context.consents.grantScopes(USER_ID, 'web-app', ['read', 'write']);
    const request = authorizationRequest({ prompt: ['none'] });

    const step = await decideNextStep(request, webClient(), signedIn, context);

    expect(step.kind).toBe('complete');
  });

  it('asks all scopes for prompt login consent', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    const request = authorizationRequest({ prompt: ['login', 'consent'] });
    await context.consents.grantScopes(USER_ID, 'web-app', ['read', 'write']);

    const step = await decideNextStep(request, webClient(), signedIn, context, {
      loginFresh: true,
    });

    expect(step).toEqual({ kind: 'consent', signedIn, scopesToAsk: ['read', 'write'] });
  });
});

describe('completeAuthorization', () => {
  it('redirects with code, state and iss', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);

    const redirect = await completeAuthorization(authorizationRequest(), signedIn, context);
    const location = new URL(redirect);

    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('state')).toBe('state-123');
    expect(location.searchParams.get('iss')).toBe(ISSUER);
  });

  it('omits state when request has none', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    const request = authorizationRequest({ state: undefined });

    const location = new URL(await completeAuthorization(request, signedIn, context));

    expect(location.searchParams.has('state')).toBe(false);
  });

  it('stores code bound to request', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context, 30);
    const request = authorizationRequest({ codeChallenge: CHALLENGE, nonce: 'n-1' });
    const now = epochSeconds(context.clock);

    const location = new URL(await completeAuthorization(request, signedIn, context));

    const code = location.searchParams.get('code') ?? '';
    expect(context.codes.codes.get(hashSecretValue(code))).toEqual({
      codeHash: hashSecretValue(code),
      clientId: 'web-app',
      redirectUri: REDIRECT_URI,
      userId: USER_ID,
      scopes: ['read', 'write'],
      codeChallenge: CHALLENGE,
      nonce: 'n-1',
      authTime: now - 30,
      amr: ['pwd'],
      expiresAt: now + 60,
    });
  });

  it('omits absent challenge and nonce', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);

    await completeAuthorization(authorizationRequest(), signedIn, context);

    const [record] = context.codes.codes.values();
    expect(record).not.toHaveProperty('codeChallenge');
    expect(record).not.toHaveProperty('nonce');
  });

  it('stores code only as hash', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);

    const redirect = await completeAuthorization(authorizationRequest(), signedIn, context);
    const location = new URL(redirect);

    const code = location.searchParams.get('code') ?? '';
    expect(JSON.stringify([...context.codes.codes])).not.toContain(code);
  });

  it('issues new code each time', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);

    const first = new URL(await completeAuthorization(authorizationRequest(), signedIn, context));
    const second = new URL(await completeAuthorization(authorizationRequest(), signedIn, context));

    expect(first.searchParams.get('code')).not.toBe(second.searchParams.get('code'));
    expect(context.codes.codes.size).toBe(2);
  });

  it('keeps query of redirect URI', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    const request = authorizationRequest({ redirectUri: `${REDIRECT_URI}?tenant=acme` });

    const location = await completeAuthorization(request, signedIn, context);

    expect(location.startsWith(`${REDIRECT_URI}?tenant=acme&code=`)).toBe(true);
  });

  it('keeps parameters of redirect URI query', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    const request = authorizationRequest({ redirectUri: `${REDIRECT_URI}?flag&next=/home` });

    const redirect = await completeAuthorization(request, signedIn, context);
    const location = new URL(redirect);

    expect(redirect.startsWith(`${REDIRECT_URI}?flag&next=/home&code=`)).toBe(true);
    expect(location.searchParams.get('next')).toBe('/home');
    expect(location.searchParams.get('iss')).toBe(ISSUER);
  });

  it('redirects to requested loopback port', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);
    const redirectUri = 'http://127.0.0.1:51234/callback';

    const location = new URL(
      await completeAuthorization(authorizationRequest({ redirectUri }), signedIn, context),
    );

    expect(location.port).toBe('51234');
  });
});

describe('errorRedirect', () => {
  it('encodes error, state and iss', () => {
    const error = new AccessDeniedError('The user denied the request.');

    const location = errorRedirect(REDIRECT_URI, ISSUER, error, 'state-123');

    expect(location).toBe(
      `${REDIRECT_URI}?error=access_denied&error_description=The+user+denied+the+request.` +
        '&state=state-123&iss=https%3A%2F%2Fauth.example.com',
    );
  });

  it('omits state when undefined', () => {
    const error = new InvalidScopeError('The client may not request the scope: admin.');

    const location = new URL(errorRedirect(REDIRECT_URI, ISSUER, error, undefined));

    expect(location.searchParams.get('error')).toBe('invalid_scope');
    expect(location.searchParams.has('state')).toBe(false);
  });

  it('keeps query of redirect URI', () => {
    const error = new AccessDeniedError('The user denied the request.');

    const location = errorRedirect(`${REDIRECT_URI}?tenant=acme`, ISSUER, error, undefined);

    expect(location.startsWith(`${REDIRECT_URI}?tenant=acme&error=access_denied&`)).toBe(true);
  });

  it('encodes state with reserved characters', () => {
    const error = new AccessDeniedError('The user denied the request.');
    const state = 'a&b=c#d e';

    const location = new URL(errorRedirect(REDIRECT_URI, ISSUER, error, state));

    expect(location.searchParams.get('state')).toBe(state);
    expect(location.hash).toBe('');
  });
});

describe('startInteraction', () => {
  it('stores request bound to cookie', async () => {
    const context = authorizationContext();
    const request = authorizationRequest();
    const now = epochSeconds(context.clock);

    const { interaction, bindingCookie } = await startInteraction(request, context, now);

    const stored = context.interactions.interactions.get(interaction.interactionId);
    expect(stored).toEqual(interaction);
    expect(interaction.request).toEqual(request);
    expect(interaction.bindingHash).toBe(hashSecretValue(bindingCookie));
    expect(interaction.expiresAt).toBe(now + 600);
    expect(interaction.requireLoginAfter).toBe(now);
  });

  it('omits requireLoginAfter when undefined', async () => {
    const context = authorizationContext();

    const { interaction } = await startInteraction(authorizationRequest(), context, undefined);

    expect(interaction).not.toHaveProperty('requireLoginAfter');
  });

  it('stores binding cookie only as hash', async () => {
    const context = authorizationContext();

    const { bindingCookie } = await startInteraction(authorizationRequest(), context, undefined);

    expect(JSON.stringify([...context.interactions.interactions])).not.toContain(bindingCookie);
  });

  it('draws new random values each time', async () => {
    const context = authorizationContext();

    const first = await startInteraction(authorizationRequest(), context, undefined);
    const second = await startInteraction(authorizationRequest(), context, undefined);

    expect(first.interaction.interactionId).not.toBe(second.interaction.interactionId);
    expect(first.interaction.csrfToken).not.toBe(second.interaction.csrfToken);
    expect(first.bindingCookie).not.toBe(second.bindingCookie);
    expect(first.bindingCookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('findSignedInUser', () => {
  it('returns session and user', async () => {
    const context = authorizationContext();
    const { cookieValue, signedIn } = await signIn(context);

    const found = await findSignedInUser(cookieValue, context);

    expect(found).toEqual(signedIn);
  });

  it.each([undefined, ''])('returns nothing for cookie %j', async (cookieValue) => {
    const context = authorizationContext();
    await signIn(context);

    const found = await findSignedInUser(cookieValue, context);

    expect(found).toBeUndefined();
  });

  it('returns nothing for unknown cookie', async () => {
    const context = authorizationContext();
    await signIn(context);

    const found = await findSignedInUser('unknown-cookie-value', context);

    expect(found).toBeUndefined();
  });

  it('rejects stored hash as cookie', async () => {
    const context = authorizationContext();
    const { signedIn } = await signIn(context);

    const found = await findSignedInUser(signedIn.session.sessionHash, context);

    expect(found).toBeUndefined();
  });

  it('returns nothing for expired session', async () => {
    const context = authorizationContext();
    const { cookieValue } = await signIn(context);
    context.clock.advance(context.settings.sessionLifetimeSeconds * 1000);

    const found = await findSignedInUser(cookieValue, context);

    expect(found).toBeUndefined();
  });

  it('returns nothing for disabled user', async () => {
    const context = authorizationContext();
    const { cookieValue } = await signIn(context);
    const user = context.users.users.get(USER_ID);
    if (user !== undefined) user.disabled = true;

    const found = await findSignedInUser(cookieValue, context);

    expect(found).toBeUndefined();
  });

  it('returns nothing for deleted user', async () => {
    const context = authorizationContext();
    const { cookieValue } = await signIn(context);
    context.users.users.delete(USER_ID);

    const found = await findSignedInUser(cookieValue, context);

    expect(found).toBeUndefined();
  });
});
