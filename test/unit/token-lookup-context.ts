/**
 * Builders for the unit tests of revocation and introspection. The TokenLookupContext shares
 * the signing keys, refresh tokens and frozen clock of a token endpoint context, so a test
 * issues tokens at the token endpoint and then revokes or introspects them.
 */
import type { Parameters } from '../../functions/http/parameters.ts';
import { signAccessToken } from '../../functions/oauth/access-token.ts';
import { ClientAuthenticator } from '../../functions/oauth/client-authentication.ts';
import type { SecretHash } from '../../functions/oauth/client.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import { RefreshTokens } from '../../functions/oauth/refresh-tokens.ts';
import type {
  RevokedAccessToken,
  RevokedAccessTokenStore,
} from '../../functions/oauth/revoked-access-tokens.ts';
import { handleTokenRequest } from '../../functions/oauth/token-endpoint.ts';
import type { TokenLookupContext } from '../../functions/oauth/token-lookup.ts';
import {
  ISSUER,
  REDIRECT_URI,
  UNUSED_SECRET_HASH,
  USER_ID,
} from './authorization-context.ts';
import { InMemoryClientStore, registeredClient } from './support.ts';
import { basicFor, form, tokenContext, type TestTokenContext } from './token-context.ts';
import { InMemoryUserStore, UNUSED_PASSWORD_HASH } from './user-stores.ts';

/** Revoked access tokens in a Map, with the conditional write of the repository. */
export class InMemoryRevokedAccessTokenStore implements RevokedAccessTokenStore {
  readonly records = new Map<string, RevokedAccessToken>();
  now = 0;

  async revokeAccessToken(record: RevokedAccessToken): Promise<boolean> {
    if (this.records.has(record.jti)) return false;
    this.records.set(record.jti, { ...record });
    return true;
  }

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    const record = this.records.get(jti);
    return record !== undefined && record.expiresAt > this.now;
  }
}

export interface TestLookupContext extends TokenLookupContext {
  /** The token endpoint that issues the tokens, over the same stores and clock. */
  tokens: TestTokenContext;
  revokedAccessTokens: InMemoryRevokedAccessTokenStore;
  clientStore: InMemoryClientStore;
  /** Contains USER_ID, the user of issueUserTokens. */
  users: InMemoryUserStore;
  /** Moves the clock and the stores' expiry clocks forward. */
  advance(seconds: number): void;
}

/**
 * Builds a context with the clients of tokenContext (`web-app`, `other-app`, the public
 * `native-app`), the confidential `resource-server` that may introspect, and the public
 * `public-resource` whose introspection permission must not count.
 */
export function lookupContext(secretHash: SecretHash): TestLookupContext {
  const tokens = tokenContext(secretHash);
  const clients = new InMemoryClientStore();
  const userClient = {
    grantTypes: ['authorization_code' as const, 'refresh_token' as const],
    responseTypes: ['code' as const],
    redirectUris: [REDIRECT_URI],
  };
  clients.put(registeredClient(secretHash, { clientId: 'web-app', ...userClient }));
  clients.put(registeredClient(secretHash, { clientId: 'other-app', ...userClient }));
  clients.put(
    registeredClient(secretHash, {
      clientId: 'native-app',
      secretHash: undefined,
      tokenEndpointAuthMethod: 'none',
      ...userClient,
    }),
  );
  clients.put(
    registeredClient(secretHash, {
      clientId: 'resource-server',
      grantTypes: [],
      introspection: true,
    }),
  );
  clients.put(
    registeredClient(secretHash, {
      clientId: 'public-resource',
      secretHash: undefined,
      tokenEndpointAuthMethod: 'none',
      grantTypes: [],
      introspection: true,
    }),
  );

  const revokedAccessTokens = new InMemoryRevokedAccessTokenStore();
  revokedAccessTokens.now = epochSeconds(tokens.clock);
  const users = new InMemoryUserStore();
  users.users.set(USER_ID, {
    userId: USER_ID,
    username: 'alice',
    passwordHash: UNUSED_PASSWORD_HASH,
    createdAt: tokens.clock.now(),
  });
  return {
    issuer: ISSUER,
    clients: new ClientAuthenticator(clients, tokens.clock, 60),
    clientStore: clients,
    users,
    signingKeys: tokens.signingKeys,
    refreshTokens: tokens.refreshTokens,
    revokedAccessTokens,
    clock: tokens.clock,
    tokens,
    advance(seconds: number) {
      tokens.advance(seconds);
      revokedAccessTokens.now = epochSeconds(tokens.clock);
    },
  };
}

/** The access and refresh token of a user grant, as the refresh token grant returns them. */
export interface UserTokens {
  accessToken: string;
  refreshToken: string;
  familyId: string;
}

/**
 * Starts a refresh token family for USER_ID with the scopes `read` and `write`, and refreshes
 * it once at the token endpoint, so that both tokens come from the real grant. The public
 * client `native-app` sends only its client_id.
 */
export async function issueUserTokens(
  context: TestLookupContext,
  clientId = 'web-app',
): Promise<UserTokens> {
  const familyId = RefreshTokens.newFamilyId();
  const first = await context.refreshTokens.issue({
    familyId,
    client: registeredClient(UNUSED_SECRET_HASH, { clientId }),
    userId: USER_ID,
    scopes: ['read', 'write'],
    authTime: 1_704_067_000,
  });

  const isPublic = clientId === 'native-app';
  const parameters = form({
    grant_type: 'refresh_token',
    refresh_token: first,
    ...(isPublic ? { client_id: clientId } : {}),
  });
  const authorization = isPublic ? undefined : basicFor(clientId);
  const { response } = await handleTokenRequest(parameters, authorization, context.tokens);

  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token ?? '',
    familyId,
  };
}

/**
 * Signs an access token with the context's current key, as the client credentials grant
 * does: subject and client are `clientId`, and there is no refresh family.
 */
export async function signServiceToken(
  context: TestLookupContext,
  clientId = 'web-app',
  lifetimeSeconds = 600,
): Promise<string> {
  const key = await context.signingKeys.current();
  const { token } = await signAccessToken(
    {
      issuer: ISSUER,
      subject: clientId,
      clientId,
      audience: 'https://api.example.com',
      scopes: ['read'],
      issuedAt: epochSeconds(context.clock),
      lifetimeSeconds,
    },
    key,
  );
  return token;
}

/** Builds the form of a revocation or introspection request. */
export function tokenForm(token: string, extra: Record<string, string> = {}): Parameters {
  return form({ token, ...extra });
}
