import { RefreshTokens } from '../../functions/oauth/refresh-tokens.ts';
import { InMemoryCodeStore, InMemoryRefreshTokenStore } from './grant-stores.ts';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Parameters } from '../../functions/http/parameters.ts';
import { ClientAuthenticator } from '../../functions/oauth/client-authentication.ts';
import { hashClientSecret } from '../../functions/oauth/client-secret.ts';
import type { SecretHash } from '../../functions/oauth/client.ts';
import { SigningKeys } from '../../functions/oauth/signing-keys.ts';
import {
  handleTokenRequest,
  type TokenEndpointContext,
} from '../../functions/oauth/token-endpoint.ts';
import {
  basicAuthorization,
  FrozenClock,
  InMemoryClientStore,
  InMemorySigningKeyStore,
  TEST_KEY_ENCRYPTION,
  registeredClient,
  rejectedOAuthError,
} from './support.ts';

const SECRET = 'correct-secret';
const ISSUER = 'https://auth.example.com';
const AUTHORIZATION = basicAuthorization('service-one', SECRET);

function form(values: Record<string, string>): Parameters {
  return new Map(Object.entries(values));
}

describe('handleTokenRequest', () => {
  let secretHash: SecretHash;

  beforeAll(async () => {
    secretHash = await hashClientSecret(SECRET);
  });

  function setUp(): TokenEndpointContext {
    const clients = new InMemoryClientStore();
    clients.put(registeredClient(secretHash));
    clients.put(registeredClient(secretHash, { clientId: 'no-grants', grantTypes: [] }));
    clients.put(registeredClient(secretHash, { clientId: 'no-scopes', scopes: [] }));
    clients.put(
      registeredClient(secretHash, {
        clientId: 'poster',
        tokenEndpointAuthMethod: 'client_secret_post',
        audience: 'https://reports.example.com',
        accessTokenLifetimeSeconds: 120,
      }),
    );
    const clock = new FrozenClock();

    return {
      settings: {
        issuer: ISSUER,
        accessTokenLifetimeSeconds: 600,
        accessTokenAudience: 'https://api.example.com',
        idTokenLifetimeSeconds: 300,
      },
      clients: new ClientAuthenticator(clients, clock, 60),
      signingKeys: new SigningKeys(new InMemorySigningKeyStore(), clock, 60, TEST_KEY_ENCRYPTION),
      codes: new InMemoryCodeStore(),
      refreshTokens: new RefreshTokens(
        new InMemoryRefreshTokenStore(),
        { idleSeconds: 3600, absoluteSeconds: 86_400, reuseGraceSeconds: 5 },
        clock,
      ),
      clock,
    };
  }

  it('rejects missing grant_type', async () => {
    const context = setUp();

    const error = await rejectedOAuthError(handleTokenRequest(form({}), AUTHORIZATION, context));

    expect(error.error).toBe('invalid_request');
    expect(error.status).toBe(400);
    expect(error.description).toBe('The grant_type parameter is missing.');
  });

  it('rejects unknown grant_type', async () => {
    const context = setUp();
    const parameters = form({ grant_type: 'urn:example:made-up' });

    const error = await rejectedOAuthError(handleTokenRequest(parameters, AUTHORIZATION, context));

    expect(error.error).toBe('unsupported_grant_type');
    expect(error.status).toBe(400);
    expect(error.description).toBe(
      "The grant type 'urn:example:made-up' is not supported. " +
        'Supported: authorization_code, client_credentials, refresh_token, password.',
    );
  });

  it('rejects request without credentials', async () => {
    const context = setUp();
    const parameters = form({ grant_type: 'client_credentials' });

    const error = await rejectedOAuthError(handleTokenRequest(parameters, undefined, context));

    expect(error.error).toBe('invalid_client');
    expect(error.status).toBe(401);
  });

  it('rejects wrong client secret', async () => {
    const context = setUp();
    const parameters = form({ grant_type: 'client_credentials' });
    const authorization = basicAuthorization('service-one', 'wrong-secret');

    const error = await rejectedOAuthError(handleTokenRequest(parameters, authorization, context));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe('Client authentication failed.');
  });

  it('rejects client without the grant', async () => {
    const context = setUp();
    const parameters = form({ grant_type: 'client_credentials' });
    const authorization = basicAuthorization('no-grants', SECRET);

    const error = await rejectedOAuthError(handleTokenRequest(parameters, authorization, context));

    expect(error.error).toBe('unauthorized_client');
    expect(error.status).toBe(400);
    expect(error.description).toBe('The client may not use the client_credentials grant.');
  });

  it('issues Bearer token', async () => {
    const context = setUp();
    const parameters = form({ grant_type: 'client_credentials' });

    const result = await handleTokenRequest(parameters, AUTHORIZATION, context);

    expect(result.response.token_type).toBe('Bearer');
    expect(result.response.expires_in).toBe(600);
    expect(result.response.scope).toBe('read write');
    expect(result.grantType).toBe('client_credentials');
    expect(result.client.clientId).toBe('service-one');
  });

  it('signs token with published key', async () => {
    const context = setUp();
    const parameters = form({ grant_type: 'client_credentials' });
    const { response } = await handleTokenRequest(parameters, AUTHORIZATION, context);
    const jwks = createLocalJWKSet(await context.signingKeys.publicJwks());

    const { payload } = await jwtVerify(response.access_token, jwks, {
      typ: 'at+jwt',
      issuer: ISSUER,
      audience: 'https://api.example.com',
      currentDate: new Date(context.clock.now()),
    });

    expect(payload.sub).toBe('service-one');
    expect(payload.client_id).toBe('service-one');
    expect(payload.scope).toBe('read write');
    expect(payload.iat).toBe(Math.floor(context.clock.now() / 1000));
    expect(payload.exp).toBe(Math.floor(context.clock.now() / 1000) + 600);
  });

  it('grants requested scope only', async () => {
    const context = setUp();
    const parameters = form({ grant_type: 'client_credentials', scope: 'read' });

    const { response } = await handleTokenRequest(parameters, AUTHORIZATION, context);

    expect(response.scope).toBe('read');
    expect(decodeJwt(response.access_token).scope).toBe('read');
  });

  it('rejects scope not allowed', async () => {
    const context = setUp();
    const parameters = form({ grant_type: 'client_credentials', scope: 'read admin' });

    const error = await rejectedOAuthError(handleTokenRequest(parameters, AUTHORIZATION, context));

    expect(error.error).toBe('invalid_scope');
    expect(error.description).toBe('The client may not request the scope: admin.');
  });

  it('omits scope for client without scopes', async () => {
    const context = setUp();
    const parameters = form({ grant_type: 'client_credentials' });
    const authorization = basicAuthorization('no-scopes', SECRET);

    const { response } = await handleTokenRequest(parameters, authorization, context);

    expect(response).not.toHaveProperty('scope');
    expect(decodeJwt(response.access_token)).not.toHaveProperty('scope');
  });

  it('applies client audience and lifetime', async () => {
    const context = setUp();
    const parameters = form({
      grant_type: 'client_credentials',
      client_id: 'poster',
      client_secret: SECRET,
    });

    const { response } = await handleTokenRequest(parameters, undefined, context);

    const payload = decodeJwt(response.access_token);
    expect(response.expires_in).toBe(120);
    expect(payload.aud).toBe('https://reports.example.com');
    expect(payload.exp).toBe(Math.floor(context.clock.now() / 1000) + 120);
  });
});
