import { describe, expect, it } from 'vitest';
import type { Parameters } from '../../functions/http/parameters.ts';
import { validateAuthorizationRequest } from '../../functions/oauth/authorization-request.ts';
import { RedirectableError } from '../../functions/oauth/errors.ts';
import { REDIRECT_URI, webClient } from './authorization-context.ts';
import { InMemoryClientStore, rejectedOAuthError, rejectionOf } from './support.ts';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const NATIVE_REDIRECT_URI = 'http://127.0.0.1/callback';

function clientStore(): InMemoryClientStore {
  const clients = new InMemoryClientStore();
  clients.put(webClient());
  clients.put(
    webClient({
      clientId: 'native-app',
      tokenEndpointAuthMethod: 'none',
      secretHash: undefined,
      redirectUris: [NATIVE_REDIRECT_URI],
    }),
  );
  clients.put(webClient({ clientId: 'no-response-types', responseTypes: undefined }));
  clients.put(webClient({ clientId: 'no-code-grant', grantTypes: ['client_credentials'] }));
  return clients;
}

/** Builds the parameters of a valid request of web-app, with changes; undefined removes one. */
function parameters(changes: Record<string, string | undefined> = {}): Parameters {
  const values: Record<string, string | undefined> = {
    client_id: 'web-app',
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    state: 'state-123',
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

/** Awaits a validation that must fail after the redirect URI check and returns its error. */
async function redirectedError(changes: Record<string, string | undefined>) {
  const thrown = await rejectionOf(validate(changes));

  expect(thrown).toBeInstanceOf(RedirectableError);
  return thrown as RedirectableError;
}

describe('validateAuthorizationRequest', () => {
  it('returns request and client', async () => {
    const { request, client } = await validate({ nonce: 'n-1', login_hint: 'alice' });

    expect(client.clientId).toBe('web-app');
    expect(request).toEqual({
      clientId: 'web-app',
      redirectUri: REDIRECT_URI,
      responseType: 'code',
      scopes: ['read', 'write'],
      state: 'state-123',
      nonce: 'n-1',
      prompt: [],
      loginHint: 'alice',
    });
  });

  it('omits absent optional parameters', async () => {
    const { request } = await validate({ state: undefined });

    expect(request).not.toHaveProperty('state');
    expect(request).not.toHaveProperty('nonce');
    expect(request).not.toHaveProperty('maxAge');
    expect(request).not.toHaveProperty('loginHint');
    expect(request).not.toHaveProperty('codeChallenge');
  });

  it('rejects missing client_id without redirect', async () => {
    const error = await rejectedOAuthError(validate({ client_id: undefined }));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe('The client_id parameter is missing.');
  });

  it('rejects unknown client without redirect', async () => {
    const error = await rejectedOAuthError(validate({ client_id: 'nobody' }));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe("The client 'nobody' is not registered.");
  });

  it('rejects missing redirect_uri without redirect', async () => {
    const error = await rejectedOAuthError(validate({ redirect_uri: undefined }));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe('The redirect_uri parameter is missing.');
  });

  it('rejects unregistered redirect_uri without redirect', async () => {
    const requested = 'https://evil.example.com/callback';

    const error = await rejectedOAuthError(validate({ redirect_uri: requested }));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe(
      `The redirect_uri '${requested}' is not registered for this client.`,
    );
  });

  it('checks client before other parameters', async () => {
    const changes = { client_id: 'nobody', response_type: 'token', scope: 'admin' };

    const error = await rejectedOAuthError(validate(changes));

    expect(error.description).toBe("The client 'nobody' is not registered.");
  });

  it('checks redirect_uri before other parameters', async () => {
    const changes = { redirect_uri: 'https://evil.example.com/', response_type: 'token' };

    const error = await rejectedOAuthError(validate(changes));

    expect(error.description).toMatch(/^The redirect_uri .* is not registered/);
  });

  it('redirects later error with state', async () => {
    const error = await redirectedError({ response_type: undefined });

    expect(error.redirectUri).toBe(REDIRECT_URI);
    expect(error.state).toBe('state-123');
    expect(error.oauthError.error).toBe('invalid_request');
    expect(error.oauthError.description).toBe('The response_type parameter is missing.');
  });

  it('redirects to requested loopback port', async () => {
    const requested = 'http://127.0.0.1:51234/callback';
    const changes = { client_id: 'native-app', redirect_uri: requested };

    const error = await redirectedError({ ...changes, response_type: undefined });

    expect(error.redirectUri).toBe(requested);
  });

  it('keeps requested loopback port in request', async () => {
    const requested = 'http://127.0.0.1:51234/callback';
    const changes = {
      client_id: 'native-app',
      redirect_uri: requested,
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
    };

    const { request } = await validate(changes);

    expect(request.redirectUri).toBe(requested);
  });

  it('omits absent state from error', async () => {
    const error = await redirectedError({ response_type: undefined, state: undefined });

    expect(error.state).toBeUndefined();
  });

  it('rejects unsupported response_type', async () => {
    const error = await redirectedError({ response_type: 'token' });

    expect(error.oauthError.error).toBe('unsupported_response_type');
    expect(error.oauthError.description).toBe(
      "The response_type 'token' is not supported: use code.",
    );
  });

  it('rejects client without response type code', async () => {
    const error = await redirectedError({ client_id: 'no-response-types' });

    expect(error.oauthError.error).toBe('unauthorized_client');
    expect(error.oauthError.description).toBe(
      'The client may not use the authorization code flow.',
    );
  });

  it('rejects client without authorization_code grant', async () => {
    const error = await redirectedError({ client_id: 'no-code-grant' });

    expect(error.oauthError.error).toBe('unauthorized_client');
  });

  it('grants all client scopes by default', async () => {
    const { request } = await validate();

    expect(request.scopes).toEqual(['read', 'write']);
  });

  it('grants requested scope', async () => {
    const { request } = await validate({ scope: 'write' });

    expect(request.scopes).toEqual(['write']);
  });

  it('rejects scope not allowed', async () => {
    const error = await redirectedError({ scope: 'read admin' });

    expect(error.oauthError.error).toBe('invalid_scope');
    expect(error.oauthError.description).toBe('The client may not request the scope: admin.');
  });

  it('rejects malformed scope', async () => {
    const error = await redirectedError({ scope: 'read "write"' });

    expect(error.oauthError.error).toBe('invalid_scope');
  });

  it('accepts S256 challenge', async () => {
    const changes = { code_challenge: CHALLENGE, code_challenge_method: 'S256' };

    const { request } = await validate(changes);

    expect(request.codeChallenge).toBe(CHALLENGE);
    expect(request.codeChallengeMethod).toBe('S256');
  });

  it('accepts confidential client without PKCE', async () => {
    const { request } = await validate();

    expect(request).not.toHaveProperty('codeChallenge');
    expect(request).not.toHaveProperty('codeChallengeMethod');
  });

  it('rejects public client without PKCE', async () => {
    const changes = { client_id: 'native-app', redirect_uri: NATIVE_REDIRECT_URI };

    const error = await redirectedError(changes);

    expect(error.oauthError.error).toBe('invalid_request');
    expect(error.oauthError.description).toBe(
      'Public clients must use PKCE: code_challenge is missing.',
    );
  });

  it('accepts public client with PKCE', async () => {
    const changes = {
      client_id: 'native-app',
      redirect_uri: NATIVE_REDIRECT_URI,
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
    };

    const { request } = await validate(changes);

    expect(request.codeChallenge).toBe(CHALLENGE);
  });

  it.each([
    ['plain method', 'plain'],
    ['missing method', undefined],
    ['lowercase method', 's256'],
  ])('rejects challenge with %s', async (_case, method) => {
    const changes = { code_challenge: CHALLENGE, code_challenge_method: method };

    const error = await redirectedError(changes);

    expect(error.oauthError.error).toBe('invalid_request');
    expect(error.oauthError.description).toMatch(/^The code_challenge_method must be S256/);
  });

  it('rejects method without challenge', async () => {
    const error = await redirectedError({ code_challenge_method: 'S256' });

    expect(error.oauthError.error).toBe('invalid_request');
    expect(error.oauthError.description).toBe(
      'The code_challenge_method is given without code_challenge.',
    );
  });

  it.each([
    ['too short', CHALLENGE.slice(0, 42)],
    ['too long', `${CHALLENGE}A`],
    ['padded', `${CHALLENGE.slice(0, 42)}=`],
  ])('rejects challenge %s', async (_case, challenge) => {
    const changes = { code_challenge: challenge, code_challenge_method: 'S256' };

    const error = await redirectedError(changes);

    expect(error.oauthError.error).toBe('invalid_request');
    expect(error.oauthError.description).toBe(
      'The code_challenge is not a base64url SHA-256 digest.',
    );
  });

  it('parses prompt values', async () => {
    const { request } = await validate({ prompt: 'login consent' });

    expect(request.prompt).toEqual(['login', 'consent']);
  });

  it('removes repeated prompt values', async () => {
    const { request } = await validate({ prompt: ' consent  consent ' });

    expect(request.prompt).toEqual(['consent']);
  });

  it('accepts prompt none alone', async () => {
    const { request } = await validate({ prompt: 'none' });

    expect(request.prompt).toEqual(['none']);
  });

  it('rejects prompt none with another value', async () => {
    const error = await redirectedError({ prompt: 'none login' });

    expect(error.oauthError.error).toBe('invalid_request');
    expect(error.oauthError.description).toBe(
      'The prompt value none cannot be combined with other values.',
    );
  });

  it('rejects unknown prompt value', async () => {
    const error = await redirectedError({ prompt: 'login bogus' });

    expect(error.oauthError.error).toBe('invalid_request');
    expect(error.oauthError.description).toBe("The prompt value 'bogus' is not supported.");
  });

  it.each([
    ['0', 0],
    ['3600', 3600],
    ['9999999999', 9_999_999_999],
  ])('parses max_age %s', async (maxAge, seconds) => {
    const { request } = await validate({ max_age: maxAge });

    expect(request.maxAge).toBe(seconds);
  });

  it.each(['-1', '1.5', '1e3', ' 1', '0x10', '12345678901', 'one'])(
    'rejects max_age %j',
    async (maxAge) => {
      const error = await redirectedError({ max_age: maxAge });

      expect(error.oauthError.error).toBe('invalid_request');
      expect(error.oauthError.description).toBe(
        'The max_age parameter must be a whole number of seconds.',
      );
    },
  );

  it.each(['request', 'request_uri'])('rejects %s parameter', async (name) => {
    const error = await redirectedError({ [name]: 'eyJhbGciOiJub25lIn0.e30.' });

    expect(error.oauthError.error).toBe('invalid_request');
    expect(error.oauthError.description).toBe(`The ${name} parameter is not supported.`);
  });

  it('accepts response_mode query', async () => {
    const { request } = await validate({ response_mode: 'query' });

    expect(request.responseType).toBe('code');
  });

  it.each(['fragment', 'form_post'])('rejects response_mode %s', async (mode) => {
    const error = await redirectedError({ response_mode: mode });

    expect(error.oauthError.error).toBe('invalid_request');
    expect(error.oauthError.description).toBe(
      `The response_mode '${mode}' is not supported: use query.`,
    );
  });

  it.each([
    ['state', 'state'],
    ['nonce', 'nonce'],
    ['login_hint', 'loginHint'],
  ])('accepts %s of 2048 characters', async (name, field) => {
    const value = 'x'.repeat(2048);

    const { request } = await validate({ [name]: value });

    expect(request).toHaveProperty(field, value);
  });

  it.each(['nonce', 'login_hint'])('rejects %s over 2048 characters', async (name) => {
    const error = await redirectedError({ [name]: 'x'.repeat(2049) });

    expect(error.oauthError.error).toBe('invalid_request');
    expect(error.oauthError.description).toBe(`The ${name} parameter is longer than 2048.`);
    expect(error.state).toBe('state-123');
  });

  it('rejects state over 2048 characters', async () => {
    const error = await redirectedError({ state: 'x'.repeat(2049) });

    expect(error.oauthError.error).toBe('invalid_request');
    expect(error.oauthError.description).toBe('The state parameter is longer than 2048.');
  });

  it('drops overlong state from redirect', async () => {
    const error = await redirectedError({ state: 'x'.repeat(2049) });

    expect(error.state).toBeUndefined();
  });
});
