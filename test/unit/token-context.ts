/**
 * Builders for the unit tests of the user grants at the token endpoint: a context of in-memory
 * stores around a frozen clock, with clients that authenticate with SECRET or as public clients.
 */
import type { Parameters } from '../../functions/http/parameters.ts';
import { ClientAuthenticator } from '../../functions/oauth/client-authentication.ts';
import { hashClientSecret } from '../../functions/oauth/client-secret.ts';
import type { SecretHash } from '../../functions/oauth/client.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import { RefreshTokens } from '../../functions/oauth/refresh-tokens.ts';
import { SigningKeys } from '../../functions/oauth/signing-keys.ts';
import type { TokenEndpointContext } from '../../functions/oauth/token-endpoint.ts';
import { ISSUER, REDIRECT_URI } from './authorization-context.ts';
import { InMemoryCodeStore, InMemoryRefreshTokenStore } from './grant-stores.ts';
import {
  basicAuthorization,
  FrozenClock,
  InMemoryClientStore,
  InMemorySigningKeyStore,
  TEST_KEY_ENCRYPTION,
  registeredClient,
} from './support.ts';

export const SECRET = 'correct-secret';
export const REFRESH_SETTINGS = {
  idleSeconds: 3600,
  absoluteSeconds: 86_400,
  reuseGraceSeconds: 5,
};

/** Builds the Authorization header of a confidential client that sends SECRET. */
export function basicFor(clientId: string): string {
  return basicAuthorization(clientId, SECRET);
}

export function form(values: Record<string, string>): Parameters {
  return new Map(Object.entries(values));
}

/** A TokenEndpointContext whose stores are the in-memory ones, so tests can inspect them. */
export interface TestTokenContext extends TokenEndpointContext {
  codes: InMemoryCodeStore;
  refreshStore: InMemoryRefreshTokenStore;
  clock: FrozenClock;
  /** Moves the clock and the refresh token store's expiry clock forward. */
  advance(seconds: number): void;
}

export async function hashSecret(): Promise<SecretHash> {
  return hashClientSecret(SECRET);
}

/**
 * Builds a context with the clients `web-app` (may refresh), `code-only` (may not), `other-app`
 * and the public client `native-app`.
 */
export function tokenContext(secretHash: SecretHash): TestTokenContext {
  const clients = new InMemoryClientStore();
  const userClient = { responseTypes: ['code' as const], redirectUris: [REDIRECT_URI] };
  clients.put(
    registeredClient(secretHash, {
      clientId: 'web-app',
      grantTypes: ['authorization_code', 'refresh_token'],
      ...userClient,
    }),
  );
  clients.put(
    registeredClient(secretHash, {
      clientId: 'code-only',
      grantTypes: ['authorization_code'],
      ...userClient,
    }),
  );
  clients.put(
    registeredClient(secretHash, {
      clientId: 'other-app',
      grantTypes: ['authorization_code', 'refresh_token'],
      ...userClient,
    }),
  );
  clients.put(
    registeredClient(secretHash, {
      clientId: 'native-app',
      secretHash: undefined,
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code', 'refresh_token'],
      ...userClient,
    }),
  );

  const clock = new FrozenClock();
  const refreshStore = new InMemoryRefreshTokenStore();
  refreshStore.now = epochSeconds(clock);

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
    refreshTokens: new RefreshTokens(refreshStore, REFRESH_SETTINGS, clock),
    refreshStore,
    clock,
    advance(seconds: number) {
      clock.advance(seconds * 1000);
      refreshStore.now = epochSeconds(clock);
    },
  };
}
