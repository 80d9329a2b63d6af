/**
 * Builders for the unit tests of the authorization endpoint's logic: a context of in-memory
 * stores around a frozen clock, a web client, a validated request and a signed-in user.
 */
import type { AuthorizationRequest } from '../../functions/oauth/authorization-request.ts';
import type { AuthorizationContext, SignedInUser } from '../../functions/oauth/authorization.ts';
import type { RegisteredClient, SecretHash } from '../../functions/oauth/client.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import { hashSecretValue, randomToken } from '../../functions/oauth/grant-records.ts';
import { InMemoryCodeStore } from './grant-stores.ts';
import { SigningKeys } from '../../functions/oauth/signing-keys.ts';
import {
  FrozenClock,
  InMemoryClientStore,
  InMemorySigningKeyStore,
  TEST_KEY_ENCRYPTION,
  registeredClient,
} from './support.ts';
import {
  InMemoryConsentStore,
  InMemoryInteractionStore,
  InMemorySessionStore,
  InMemoryUserStore,
  UNUSED_PASSWORD_HASH,
} from './user-stores.ts';

export const ISSUER = 'https://auth.example.com';
export const REDIRECT_URI = 'https://app.example.com/callback';
export const USER_ID = 'user-1';

/** A placeholder secret hash. The authorization endpoint never checks client secrets. */
export const UNUSED_SECRET_HASH: SecretHash = {
  algorithm: 'scrypt',
  salt: 'c2FsdA',
  hash: 'aGFzaA',
  cost: 16_384,
  blockSize: 8,
  parallelization: 1,
};

/** An AuthorizationContext whose stores are the in-memory ones, so tests can inspect them. */
export interface TestAuthorizationContext extends AuthorizationContext {
  clients: InMemoryClientStore;
  users: InMemoryUserStore;
  sessions: InMemorySessionStore;
  consents: InMemoryConsentStore;
  interactions: InMemoryInteractionStore;
  codes: InMemoryCodeStore;
  clock: FrozenClock;
}

export function authorizationContext(): TestAuthorizationContext {
  const clock = new FrozenClock();
  return {
    settings: {
      issuer: ISSUER,
      authorizationCodeLifetimeSeconds: 60,
      sessionLifetimeSeconds: 86_400,
      interactionLifetimeSeconds: 600,
      secureCookies: true,
      accessTokenLifetimeSeconds: 600,
      accessTokenAudience: 'https://api.example.com',
      idTokenLifetimeSeconds: 300,
    },
    clients: new InMemoryClientStore(),
    users: new InMemoryUserStore(),
    sessions: new InMemorySessionStore(clock),
    consents: new InMemoryConsentStore(),
    interactions: new InMemoryInteractionStore(clock),
    codes: new InMemoryCodeStore(),
    signingKeys: new SigningKeys(new InMemorySigningKeyStore(), clock, 60, TEST_KEY_ENCRYPTION),
    clock,
  };
}

/** Builds a confidential client that may use the authorization code flow at REDIRECT_URI. */
export function webClient(overrides: Partial<RegisteredClient> = {}): RegisteredClient {
  return registeredClient(UNUSED_SECRET_HASH, {
    clientId: 'web-app',
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    redirectUris: [REDIRECT_URI],
    ...overrides,
  });
}

/** Builds a validated request of webClient for the scopes `read` and `write`. */
export function authorizationRequest(
  overrides: Partial<AuthorizationRequest> = {},
): AuthorizationRequest {
  return {
    clientId: 'web-app',
    redirectUri: REDIRECT_URI,
    responseType: 'code',
    scopes: ['read', 'write'],
    state: 'state-123',
    prompt: [],
    ...overrides,
  };
}

/**
 * Stores a user and a session whose password entry was `secondsAgo` before the clock's time,
 * and returns the session cookie's value with the signed-in user.
 */
export async function signIn(
  context: TestAuthorizationContext,
  secondsAgo = 0,
): Promise<{ cookieValue: string; signedIn: SignedInUser }> {
  const user = {
    userId: USER_ID,
    username: 'alice',
    passwordHash: UNUSED_PASSWORD_HASH,
    createdAt: context.clock.now(),
  };
  await context.users.createUser(user);

  const cookieValue = randomToken();
  const now = epochSeconds(context.clock);
  const session = {
    sessionHash: hashSecretValue(cookieValue),
    userId: USER_ID,
    authTime: now - secondsAgo,
    amr: ['pwd'],
    expiresAt: now + context.settings.sessionLifetimeSeconds,
  };
  await context.sessions.createSession(session);
  return { cookieValue, signedIn: { session, user } };
}
