/**
 * The services of this function instance, created once per cold start and shared by the
 * invocations that the instance serves: the table client, the repositories, and the in-memory
 * caches in front of them. Creating them performs no I/O.
 */
import { isLoopbackUrl } from '../config.ts';
import { createKeyEncryption } from '../crypto/configured-key-encryption.ts';
import type { AuthorizationContext } from '../oauth/authorization.ts';
import { CachedClientStore } from '../oauth/cached-client-store.ts';
import { ClientAuthenticator } from '../oauth/client-authentication.ts';
import { ClientAssertionVerifier } from '../oauth/client-assertion-verifier.ts';
import { systemClock } from '../oauth/clock.ts';
import type { EndSessionContext } from '../oauth/end-session.ts';
import { LoginRateLimiter } from '../oauth/login-rate-limit.ts';
import { TOKEN_PATH } from '../oauth/metadata.ts';
import { RefreshTokens } from '../oauth/refresh-tokens.ts';
import { SigningKeys } from '../oauth/signing-keys.ts';
import type { TokenEndpointContext } from '../oauth/token-endpoint.ts';
import type { TokenLookupContext } from '../oauth/token-lookup.ts';
import type { UserinfoContext } from '../oauth/userinfo.ts';
import { AuthorizationCodeRepository } from '../storage/authorization-code-repository.ts';
import { ClientAssertionRepository } from '../storage/client-assertion-repository.ts';
import { ClientRepository } from '../storage/client-repository.ts';
import { ConsentRepository } from '../storage/consent-repository.ts';
import { createDocumentClient } from '../storage/dynamodb.ts';
import { InteractionRepository } from '../storage/interaction-repository.ts';
import { LoginAttemptRepository } from '../storage/login-attempt-repository.ts';
import { RefreshTokenRepository } from '../storage/refresh-token-repository.ts';
import { RevokedAccessTokenRepository } from '../storage/revoked-access-token-repository.ts';
import { SessionRepository } from '../storage/session-repository.ts';
import { SigningKeyRepository } from '../storage/signing-key-repository.ts';
import { RegionalTables } from '../storage/regional-tables.ts';
import { UserRepository } from '../storage/user-repository.ts';
import { config } from './config.ts';

/**
 * The region named in new codes and refresh families. A table with one replica needs no home
 * region, so single-region deployments keep shorter values.
 */
const regionLabel = config.tableRegions.length > 1 ? config.dynamodb.region : undefined;

/** How long a user has to sign in and consent before the request must start again. */
const INTERACTION_LIFETIME_SECONDS = 600;

const documents = createDocumentClient({
  ...config.dynamodb,
  expiryIndex: config.consistencyMode === 'strong',
});
const clock = systemClock;
const table = config.tableName;

const regionalTables = new RegionalTables({
  localRegion: config.dynamodb.region,
  mode: config.consistencyMode,
  local: documents,
  regions: config.tableRegions,
  connect: (region) =>
    createDocumentClient({
      region,
      ...(config.regionEndpoints[region] === undefined
        ? {}
        : { endpoint: config.regionEndpoints[region] }),
      remote: true,
    }),
  clock,
});

const clientStore = new CachedClientStore(
  new ClientRepository(documents, table, clock),
  clock,
  config.memoryCacheSeconds,
);

export const signingKeys = new SigningKeys(
  new SigningKeyRepository(documents, table),
  clock,
  config.memoryCacheSeconds,
  createKeyEncryption(config.keyEncryption, config.dynamodb.region),
);

const codes = new AuthorizationCodeRepository(documents, table, regionalTables);
const users = new UserRepository(documents, table, clock);

export const loginRateLimiter = new LoginRateLimiter(
  new LoginAttemptRepository(documents, table, clock),
  clock,
);

/** Verifies `private_key_jwt` assertions, whose `aud` may be the token endpoint or the issuer. */
const clientAssertions = new ClientAssertionVerifier({
  audiences: [`${config.issuer}${TOKEN_PATH}`, config.issuer],
  store: new ClientAssertionRepository(documents, table, regionalTables),
  clock,
});

export const tokenEndpoint: TokenEndpointContext = {
  settings: {
    issuer: config.issuer,
    accessTokenLifetimeSeconds: config.accessTokenLifetimeSeconds,
    accessTokenAudience: config.accessTokenAudience,
    idTokenLifetimeSeconds: config.idTokenLifetimeSeconds,
  },
  clients: new ClientAuthenticator(
    clientStore,
    clock,
    config.memoryCacheSeconds,
    clientAssertions,
  ),
  signingKeys,
  codes,
  refreshTokens: new RefreshTokens(
    new RefreshTokenRepository(documents, table, clock, regionalTables),
    {
      idleSeconds: config.refreshTokenIdleSeconds,
      absoluteSeconds: config.refreshTokenAbsoluteSeconds,
      reuseGraceSeconds: config.refreshTokenReuseGraceSeconds,
      region: regionLabel,
    },
    clock,
  ),
  users,
  loginRateLimiter,
  clock,
};

/** The revocation and introspection endpoints share the token endpoint's stores. */
export const tokenLookup: TokenLookupContext = {
  issuer: config.issuer,
  clients: tokenEndpoint.clients,
  clientStore,
  users,
  signingKeys,
  refreshTokens: tokenEndpoint.refreshTokens,
  revokedAccessTokens: new RevokedAccessTokenRepository(documents, table, clock),
  clock,
};

export const authorization: AuthorizationContext = {
  settings: {
    issuer: config.issuer,
    region: regionLabel,
    authorizationCodeLifetimeSeconds: config.authorizationCodeLifetimeSeconds,
    sessionLifetimeSeconds: config.sessionLifetimeSeconds,
    interactionLifetimeSeconds: INTERACTION_LIFETIME_SECONDS,
    secureCookies: !(config.issuer.startsWith('http://') && isLoopbackUrl(config.issuer)),
    accessTokenLifetimeSeconds: config.accessTokenLifetimeSeconds,
    accessTokenAudience: config.accessTokenAudience,
    idTokenLifetimeSeconds: config.idTokenLifetimeSeconds,
  },
  clients: clientStore,
  users,
  sessions: new SessionRepository(documents, table, clock),
  consents: new ConsentRepository(documents, table, clock),
  interactions: new InteractionRepository(documents, table, clock),
  codes,
  signingKeys,
  clock,
};

/** The UserInfo endpoint honours revocations as the introspection endpoint does. */
export const userinfo: UserinfoContext = {
  issuer: config.issuer,
  signingKeys,
  clock,
  users,
  revocations: {
    isAccessTokenRevoked: (jti) => tokenLookup.revokedAccessTokens.isAccessTokenRevoked(jti),
    isFamilyRevoked: (familyId) => tokenLookup.refreshTokens.isFamilyRevoked(familyId),
  },
};

export const endSession: EndSessionContext = {
  issuer: config.issuer,
  clients: clientStore,
  signingKeys,
};
