/** The implicit flow: its opt-in, its request checks, and its fragment response. */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import type { Parameters } from '../../functions/http/parameters.ts';
import {
  responseModeOf,
  validateAuthorizationRequest,
  type AuthorizationRequest,
} from '../../functions/oauth/authorization-request.ts';
import { completeAuthorization, errorRedirect } from '../../functions/oauth/authorization.ts';
import { AccessDeniedError, RedirectableError } from '../../functions/oauth/errors.ts';
import { tokenHash } from '../../functions/oauth/id-token.ts';
import { denyInteraction, finishInteraction } from '../../functions/oauth/interaction.ts';
import {
  authorizationContext,
  authorizationRequest,
  ISSUER,
  REDIRECT_URI,
  signIn,
  USER_ID,
  webClient,
} from './authorization-context.ts';
import { InMemoryClientStore, rejectionOf } from './support.ts';

const IMPLICIT = {
  grantTypes: ['implicit' as const],
  responseTypes: ['token' as const, 'id_token token' as const],
  scopes: ['openid', 'profile', 'read'],
};

function clientStore(): InMemoryClientStore {
  const clients = new InMemoryClientStore();
  clients.put(webClient());
  clients.put(webClient({ clientId: 'legacy-spa', ...IMPLICIT }));
  clients.put(webClient({ clientId: 'token-only', ...IMPLICIT, responseTypes: ['token'] }));
  clients.put(
    webClient({ clientId: 'no-implicit-grant', ...IMPLICIT, grantTypes: ['authorization_code'] }),
  );
  clients.put(
    webClient({
      clientId: 'public-spa',
      ...IMPLICIT,
      tokenEndpointAuthMethod: 'none',
      secretHash: undefined,
    }),
  );
  return clients;
}

/** Builds the parameters of an implicit request of legacy-spa; undefined removes one. */
function parameters(changes: Record<string, string | undefined> = {}): Parameters {
  const values: Record<string, string | undefined> = {
    client_id: 'legacy-spa',
    redirect_uri: REDIRECT_URI,
    response_type: 'id_token token',
    scope: 'openid profile',
    nonce: 'nonce-1',
    state: 'state-1',
    ...changes,
  };
  const entries = Object.entries(values).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  return new Map(entries);
}

function validate(changes: Record<string, string | undefined> = {}) {
  return validateAuthorizationRequest(parameters(changes), clientStore());
}

async function redirectedError(changes: Record<string, string | undefined>) {
  const thrown = await rejectionOf(validate(changes));

  expect(thrown).toBeInstanceOf(RedirectableError);
  return thrown as RedirectableError;
}

/** Returns the parameters of a redirect's fragment, failing if it has a query. */
function fragmentOf(location: string): URLSearchParams {
  const url = new URL(location);
  expect(url.search).toBe('');
  return new URLSearchParams(url.hash.slice(1));
}

describe('implicit request validation', () => {
  it('accepts id_token token of enabled client', async () => {
    const { request } = await validate();

    expect(request).toEqual({
      clientId: 'legacy-spa',
      redirectUri: REDIRECT_URI,
      responseType: 'id_token token',
      scopes: ['openid', 'profile'],
      state: 'state-1',
      nonce: 'nonce-1',
      prompt: [],
    });
    expect(responseModeOf(request)).toBe('fragment');
  });

  it('accepts response type values in any order', async () => {
    const { request } = await validate({ response_type: 'token id_token' });

    expect(request.responseType).toBe('id_token token');
  });

  it('accepts token without nonce', async () => {
    const { request } = await validate({ response_type: 'token', nonce: undefined });

    expect(request.responseType).toBe('token');
  });

  it('needs no PKCE from public client', async () => {
    const { request } = await validate({ client_id: 'public-spa' });

    expect(request).not.toHaveProperty('codeChallenge');
  });

  it('accepts response_mode fragment', async () => {
    const { request } = await validate({ response_mode: 'fragment' });

    expect(request.responseType).toBe('id_token token');
  });

  it('rejects response_mode query in fragment', async () => {
    const error = await redirectedError({ response_mode: 'query' });

    expect(error.responseMode).toBe('fragment');
    expect(error.oauthError.error).toBe('invalid_request');
    expect(error.oauthError.description).toBe(
      "The response_mode 'query' is not supported: use fragment.",
    );
  });

  it('requires nonce for id_token token', async () => {
    const error = await redirectedError({ nonce: undefined });

    expect(error.responseMode).toBe('fragment');
    expect(error.state).toBe('state-1');
    expect(error.oauthError.description).toBe(
      'The nonce parameter is required with response_type id_token token.',
    );
  });

  it('requires openid for id_token token', async () => {
    const error = await redirectedError({ scope: 'profile' });

    expect(error.oauthError.error).toBe('invalid_request');
    expect(error.oauthError.description).toBe(
      'The response_type id_token token requires the openid scope.',
    );
  });

  it.each([
    ['client without implicit', 'web-app', 'token'],
    ['client without id_token token', 'token-only', 'id_token token'],
    ['client without implicit grant', 'no-implicit-grant', 'token'],
  ])('rejects %s in query', async (_name, clientId, responseType) => {
    const error = await redirectedError({ client_id: clientId, response_type: responseType });

    expect(error.responseMode).toBe('query');
    expect(error.oauthError.error).toBe('unsupported_response_type');
    expect(error.oauthError.description).toBe(
      `The response_type '${responseType}' is not supported: use code.`,
    );
  });

  it('keeps code flow in query', async () => {
    const { request } = await validate({
      client_id: 'web-app',
      response_type: 'code',
      scope: undefined,
      nonce: undefined,
    });

    expect(responseModeOf(request)).toBe('query');
  });
});

describe('implicit response', () => {
  async function complete(changes: Partial<AuthorizationRequest> = {}) {
    const context = authorizationContext();
    context.clients.put(webClient({ clientId: 'legacy-spa', ...IMPLICIT }));
    const { signedIn } = await signIn(context, 30);
    const request = authorizationRequest({
      clientId: 'legacy-spa',
      responseType: 'id_token token',
      scopes: ['openid', 'profile'],
      nonce: 'nonce-1',
      ...changes,
    });
    const location = await completeAuthorization(request, signedIn, context);
    return { context, location };
  }

  it('sends tokens in fragment', async () => {
    const { location } = await complete();

    const fragment = fragmentOf(location);
    expect(location.startsWith(`${REDIRECT_URI}#`)).toBe(true);
    expect([...fragment.keys()].sort()).toEqual([
      'access_token',
      'expires_in',
      'id_token',
      'iss',
      'scope',
      'state',
      'token_type',
    ]);
    expect(fragment.get('token_type')).toBe('Bearer');
    expect(fragment.get('expires_in')).toBe('600');
    expect(fragment.get('scope')).toBe('openid profile');
    expect(fragment.get('state')).toBe('state-123');
    expect(fragment.get('iss')).toBe(ISSUER);
  });

  it('issues access token for user', async () => {
    const { location } = await complete();

    const claims = decodeJwt(fragmentOf(location).get('access_token') ?? '');
    expect(decodeProtectedHeader(fragmentOf(location).get('access_token') ?? '').typ).toBe(
      'at+jwt',
    );
    expect(claims.sub).toBe(USER_ID);
    expect(claims.client_id).toBe('legacy-spa');
    expect(claims.aud).toBe('https://api.example.com');
  });

  it('binds ID token to access token and nonce', async () => {
    const { context, location } = await complete();
    const fragment = fragmentOf(location);

    const claims = decodeJwt(fragment.get('id_token') ?? '');

    expect(claims.nonce).toBe('nonce-1');
    expect(claims.aud).toBe('legacy-spa');
    expect(claims.auth_time).toBe(Math.floor(context.clock.now() / 1000) - 30);
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.at_hash).toBe(tokenHash(fragment.get('access_token') ?? '', 'ES256'));
  });

  it('omits ID token for token', async () => {
    const { location } = await complete({ responseType: 'token', nonce: undefined });

    const fragment = fragmentOf(location);
    expect(fragment.has('access_token')).toBe(true);
    expect(fragment.has('id_token')).toBe(false);
    expect(fragment.has('refresh_token')).toBe(false);
  });

  it('stores no authorization code', async () => {
    const { context } = await complete();

    expect(context.codes.codes.size).toBe(0);
  });

  it('sends denial in fragment', async () => {
    const context = authorizationContext();
    const request = authorizationRequest({ clientId: 'legacy-spa', responseType: 'token' });
    await context.interactions.createInteraction({
      interactionId: 'interaction-1',
      request,
      bindingHash: 'hash',
      csrfToken: 'csrf',
      expiresAt: Math.floor(context.clock.now() / 1000) + 600,
    });
    const interaction = await context.interactions.findInteraction('interaction-1');

    const location = await denyInteraction(interaction ?? expect.unreachable(), context);

    const fragment = fragmentOf(location);
    expect(fragment.get('error')).toBe('access_denied');
    expect(fragment.get('state')).toBe('state-123');
  });

  it('finishes interaction with fragment', async () => {
    const context = authorizationContext();
    context.clients.put(webClient({ clientId: 'legacy-spa', ...IMPLICIT }));
    const { signedIn } = await signIn(context);
    const request = authorizationRequest({ clientId: 'legacy-spa', responseType: 'token' });
    await context.interactions.createInteraction({
      interactionId: 'interaction-2',
      request,
      bindingHash: 'hash',
      csrfToken: 'csrf',
      expiresAt: Math.floor(context.clock.now() / 1000) + 600,
    });
    const interaction = await context.interactions.findInteraction('interaction-2');

    const location = await finishInteraction(
      interaction ?? expect.unreachable(),
      signedIn,
      context,
    );

    expect(fragmentOf(location).has('access_token')).toBe(true);
  });
});

describe('errorRedirect', () => {
  it('puts error in fragment for fragment mode', () => {
    const error = new AccessDeniedError('The user denied the request.');

    const location = errorRedirect(REDIRECT_URI, ISSUER, error, 's', 'fragment');

    expect(location).toBe(
      `${REDIRECT_URI}#error=access_denied&error_description=The+user+denied+the+request.` +
        `&state=s&iss=${encodeURIComponent(ISSUER)}`,
    );
  });
});
