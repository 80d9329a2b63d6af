/**
 * The introspection endpoint (RFC 7662). A resource server authenticates as a client with the
 * `introspection` permission and learns whether a token is active and, if so, its claims.
 *
 * An access token is active when it verifies as the server's own (see verifyAccessToken), its
 * `jti` is not revoked, and the refresh token family that it names, if any, is not revoked.
 * Its client must still exist, and must not have had its tokens revoked since the token's
 * `iat`. A user's token also needs the user to exist, be enabled and not be signed out since.
 * A refresh token is active while the token endpoint would accept it. Everything else gets
 * `{"active": false}` and nothing more, as RFC 7662 section 2.2 requires.
 */
import type { Parameters } from '../http/parameters.ts';
import type { VerifiedAccessToken } from './access-token-verification.ts';
import { readClientCredentials } from './client-authentication.ts';
import { isPublicClient, type RegisteredClient } from './client.ts';
import { UnauthorizedClientError } from './errors.ts';
import type { FoundRefreshToken } from './refresh-tokens.ts';
import { isBeforeCutoff } from './revocation-cutoffs.ts';
import { findToken, readPresentedToken, type TokenLookupContext } from './token-lookup.ts';

/** The response of RFC 7662 section 2.2. */
export type IntrospectionResponse = { active: false } | ActiveTokenResponse;

export interface ActiveTokenResponse {
  active: true;
  /** `Bearer` for access tokens; `refresh_token` for refresh tokens. */
  token_type: 'Bearer' | 'refresh_token';
  client_id: string;
  sub: string;
  iss: string;
  exp: number;
  scope?: string;
  aud?: string | string[];
  iat?: number;
  nbf?: number;
  jti?: string;
}

const INACTIVE: IntrospectionResponse = { active: false };

/**
 * Authenticates the client, checks its permission, and describes the presented token.
 * A client without the permission gets 403 `unauthorized_client`, not 401: its credentials
 * are valid, and RFC 7662 section 2.3 reserves 401 for invalid credentials. An empty
 * `{"active": false}` would hide the misconfiguration from the resource server's operators.
 */
export async function handleIntrospectionRequest(
  parameters: Parameters,
  authorization: string | undefined,
  context: TokenLookupContext,
): Promise<{ client: RegisteredClient; response: IntrospectionResponse }> {
  const credentials = readClientCredentials(authorization, parameters);
  const client = await context.clients.authenticate(credentials);
  if (!mayIntrospect(client)) {
    throw new UnauthorizedClientError(
      'The client may not use the introspection endpoint. Register it with the introspection ' +
        'permission, as a confidential client.',
      { status: 403 },
    );
  }
  const presented = readPresentedToken(parameters);

  const found = await findToken(presented, context);
  if (found === undefined) return { client, response: INACTIVE };

  const response =
    found.type === 'access_token'
      ? await describeAccessToken(found.accessToken, context)
      : await describeRefreshToken(found.refreshToken, context);
  return { client, response };
}

/**
 * Returns whether a client may introspect. A public client never may, even with the
 * permission, because anyone can send its client id, and RFC 7662 section 4 requires
 * authentication.
 */
export function mayIntrospect(client: RegisteredClient): boolean {
  return client.introspection === true && !isPublicClient(client);
}

async function describeAccessToken(
  accessToken: VerifiedAccessToken,
  context: TokenLookupContext,
): Promise<IntrospectionResponse> {
  const family = accessToken.refreshFamily;
  // The client credentials grant issues tokens whose subject is the client itself.
  const userId = accessToken.subject === accessToken.clientId ? undefined : accessToken.subject;
  const { clientId, issuedAt } = accessToken;
  const holders = { clientId, userId, issuedAt, authTime: issuedAt };
  // NOTE: the store drops a family past its absolute limit, so a token that outlives that limit
  // reads as active again after it even when its family was revoked.
  const [jtiRevoked, familyRevoked, holdersValid] = await Promise.all([
    context.revokedAccessTokens.isAccessTokenRevoked(accessToken.jti),
    family === undefined ? false : context.refreshTokens.isFamilyRevoked(family),
    areHoldersValid(holders, context),
  ]);
  if (jtiRevoked || familyRevoked || !holdersValid) return INACTIVE;

  return {
    active: true,
    token_type: 'Bearer',
    client_id: accessToken.clientId,
    sub: accessToken.subject,
    iss: accessToken.issuer,
    exp: accessToken.expiresAt,
    ...(accessToken.scope === undefined ? {} : { scope: accessToken.scope }),
    aud: accessToken.audience,
    iat: accessToken.issuedAt,
    ...(accessToken.notBefore === undefined ? {} : { nbf: accessToken.notBefore }),
    jti: accessToken.jti,
  };
}

/**
 * Describes a refresh token. It has no `iat`, `aud` or `jti`, because the server stores no
 * issue time per token and a refresh token is meant only for the token endpoint.
 */
async function describeRefreshToken(
  found: FoundRefreshToken,
  context: TokenLookupContext,
): Promise<IntrospectionResponse> {
  if (!context.refreshTokens.isActive(found)) return INACTIVE;

  const { token, family } = found;
  const holder = { clientId: family.clientId, userId: family.userId };
  const times = { issuedAt: family.createdAt, authTime: family.authTime };
  if (!(await areHoldersValid({ ...holder, ...times }, context))) return INACTIVE;

  return {
    active: true,
    token_type: 'refresh_token',
    client_id: family.clientId,
    sub: family.userId,
    iss: context.issuer,
    exp: token.expiresAt,
    ...(family.scopes.length > 0 ? { scope: family.scopes.join(' ') } : {}),
  };
}

/** The client and user whom a token was issued to, and when its grant began. */
interface TokenHolders {
  clientId: string;
  /** Absent for a token of the client credentials grant. */
  userId: string | undefined;
  /** When the token, or its refresh token family, was issued; seconds since the Unix epoch. */
  issuedAt: number;
  /** When the user signed in for the grant; seconds since the Unix epoch. */
  authTime: number;
}

/**
 * Returns whether the token's client still exists with no revocation of its tokens since
 * `issuedAt`, and its user, if any, exists, is enabled and was not signed out since `authTime`.
 * The token endpoint rejects a refresh on the same conditions.
 */
async function areHoldersValid(
  holders: TokenHolders,
  context: TokenLookupContext,
): Promise<boolean> {
  const { clientId, userId } = holders;
  const [client, user] = await Promise.all([
    context.clientStore.findClient(clientId),
    userId === undefined ? undefined : context.users.findUserById(userId),
  ]);
  if (client === undefined) return false;
  if (isBeforeCutoff(holders.issuedAt, client.tokensRevokedBefore)) return false;
  if (userId === undefined) return true;
  if (user === undefined || user.disabled) return false;
  return !isBeforeCutoff(holders.authTime, user.signedOutAt);
}
