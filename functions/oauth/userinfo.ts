/**
 * The UserInfo endpoint (OpenID Connect Core section 5.3): returns `sub` and the claims about
 * the user that the access token's scopes allow. The access token is a bearer token
 * (RFC 6750) that this server issued, and it must have the `openid` scope.
 */
import {
  verifyAccessToken,
  type AccessTokenVerifier,
  type VerifiedAccessToken,
} from './access-token-verification.ts';
import {
  bearerChallenge,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
} from './errors.ts';
import { OPENID_SCOPE } from './id-token.ts';
import { isBeforeCutoff } from './revocation-cutoffs.ts';
import type { User, UserStore } from './users.ts';

/** The places where a request may carry an access token. */
export interface BearerTokenSources {
  /** The Authorization header (RFC 6750 section 2.1). */
  authorization: string | undefined;
  /** The `access_token` form parameter of a POST (RFC 6750 section 2.2). */
  formAccessToken: string | undefined;
  /** Whether the query has `access_token`, which the server does not accept. */
  queryHasAccessToken: boolean;
}

/** The Bearer credentials syntax: `Bearer` 1*SP b64token (RFC 6750 section 2.1). */
const BEARER_CREDENTIALS = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * Returns the access token of a request. Throws `invalid_request` for a token in the query,
 * for tokens sent two ways and for a malformed Bearer header. A request without a token gets
 * `invalid_token` with a bare challenge (RFC 6750 section 3.1).
 */
export function readBearerToken(sources: BearerTokenSources): string {
  if (sources.queryHasAccessToken) {
    throw bearerRequestError(
      'The access token must not be sent in the query. ' +
        'Send it in the Authorization header, or in the form body of a POST.',
    );
  }

  const headerToken = readAuthorizationHeader(sources.authorization);
  if (headerToken !== undefined && sources.formAccessToken !== undefined) {
    throw bearerRequestError(
      'The access token was sent both in the Authorization header and in the form body. ' +
        'Send it one way only.',
    );
  }

  const token = headerToken ?? sources.formAccessToken;
  if (token === undefined) {
    throw new InvalidTokenError(
      'The request has no access token. Send it in the Authorization header as Bearer.',
      { headers: bearerChallenge() },
    );
  }
  return token;
}

/** Returns the token of a Bearer header; undefined when the header is absent or another scheme. */
function readAuthorizationHeader(header: string | undefined): string | undefined {
  if (header === undefined || !/^Bearer(\s|$)/i.test(header)) return undefined;

  const match = BEARER_CREDENTIALS.exec(header);
  if (match?.[1] === undefined) {
    throw bearerRequestError('The Authorization header must be Bearer followed by one token.');
  }
  return match[1];
}

function bearerRequestError(description: string): InvalidRequestError {
  return new InvalidRequestError(description, {
    headers: bearerChallenge({ code: 'invalid_request', description }),
  });
}

/** Whether a verified access token was revoked after it was issued. */
export interface AccessTokenRevocations {
  isAccessTokenRevoked(jti: string): Promise<boolean>;
  isFamilyRevoked(familyId: string): Promise<boolean>;
}

export interface UserinfoContext extends AccessTokenVerifier {
  users: UserStore;
  revocations: AccessTokenRevocations;
}

const INVALID_TOKEN = 'The access token is invalid, expired or revoked.';

/**
 * Verifies the access token and returns the claims of its user. Throws `invalid_token` for a
 * token that fails verification, is revoked, was issued before its user was signed out
 * everywhere, or whose user is disabled or deleted, and
 * `insufficient_scope` for a token without `openid`.
 */
export async function handleUserinfoRequest(
  token: string,
  context: UserinfoContext,
): Promise<Record<string, unknown>> {
  const verified = await verifyAccessToken(token, context);
  if (verified === undefined || (await isRevoked(verified, context.revocations))) {
    throw new InvalidTokenError(INVALID_TOKEN);
  }

  const scopes = (verified.scope ?? '').split(' ').filter((scope) => scope !== '');
  if (!scopes.includes(OPENID_SCOPE)) {
    throw new InsufficientScopeError('The access token lacks the openid scope.', {
      scope: OPENID_SCOPE,
    });
  }

  const user = await context.users.findUserById(verified.subject);
  if (user === undefined || user.disabled) {
    throw new InvalidTokenError('The user of this access token is disabled or deleted.');
  }
  if (isBeforeCutoff(verified.issuedAt, user.signedOutAt)) {
    throw new InvalidTokenError('The user of this access token was signed out.');
  }
  return userinfoClaims(user, scopes);
}

async function isRevoked(
  token: VerifiedAccessToken,
  revocations: AccessTokenRevocations,
): Promise<boolean> {
  const [tokenRevoked, familyRevoked] = await Promise.all([
    revocations.isAccessTokenRevoked(token.jti),
    token.refreshFamily === undefined ? false : revocations.isFamilyRevoked(token.refreshFamily),
  ]);
  return tokenRevoked || familyRevoked;
}

/**
 * Returns `sub` and the standard claims (OpenID Connect Core section 5.4) that the scopes
 * request and the user record has: `profile` gives `name`, `email` gives `email` and
 * `email_verified`. A claim without a value is left out, as section 5.3.2 advises.
 */
export function userinfoClaims(user: User, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: user.userId };
  if (scopes.includes('profile') && user.name !== undefined) claims.name = user.name;
  if (scopes.includes('email') && user.email !== undefined) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified ?? false;
  }
  return claims;
}
