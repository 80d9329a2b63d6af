/**
 * Identifies a token presented to the revocation (RFC 7009) or introspection (RFC 7662)
 * endpoint as one of the server's access tokens or refresh tokens. `token_type_hint` only
 * orders the attempts: a token of the other type is still found.
 */
import type { Parameters } from '../http/parameters.ts';
import {
  verifyAccessToken,
  type AccessTokenVerifier,
  type VerifiedAccessToken,
} from './access-token-verification.ts';
import type { ClientAuthenticator } from './client-authentication.ts';
import type { ClientStore } from './client.ts';
import { InvalidRequestError } from './errors.ts';
import type { FoundRefreshToken, RefreshTokens } from './refresh-tokens.ts';
import type { RevokedAccessTokenStore } from './revoked-access-tokens.ts';
import type { UserStore } from './users.ts';

export type TokenType = 'access_token' | 'refresh_token';

/** Dependencies of the revocation and introspection endpoints. */
export interface TokenLookupContext extends AccessTokenVerifier {
  clients: ClientAuthenticator;
  /**
   * Reads the client that a presented token was issued to, so that introspection can check
   * that it exists and its `tokensRevokedBefore`.
   */
  clientStore: ClientStore;
  /** Reads the user of a presented token, whom introspection checks like the token endpoint. */
  users: UserStore;
  refreshTokens: RefreshTokens;
  revokedAccessTokens: RevokedAccessTokenStore;
}

export type FoundToken =
  | { type: 'access_token'; accessToken: VerifiedAccessToken }
  | { type: 'refresh_token'; refreshToken: FoundRefreshToken };

export interface PresentedToken {
  token: string;
  /** The `token_type_hint`; a value the server does not know is ignored, as both RFCs allow. */
  hint: TokenType | undefined;
}

/** Reads `token` and `token_type_hint`, or throws `invalid_request` when `token` is missing. */
export function readPresentedToken(parameters: Parameters): PresentedToken {
  const token = parameters.get('token');
  if (token === undefined) throw new InvalidRequestError('The token parameter is missing.');

  const hint = parameters.get('token_type_hint');
  const known = hint === 'access_token' || hint === 'refresh_token';
  return { token, hint: known ? hint : undefined };
}

/**
 * Finds the token, trying the hinted type first. Returns undefined for a token that the
 * server did not issue, or that is malformed or expired. A found refresh token may still be
 * revoked or rotated, and a found access token revoked: the caller checks that.
 */
export async function findToken(
  { token, hint }: PresentedToken,
  context: TokenLookupContext,
): Promise<FoundToken | undefined> {
  const order: TokenType[] = ['access_token', 'refresh_token'];
  if (hint === 'refresh_token') order.reverse();

  for (const type of order) {
    const found = await findTokenOfType(type, token, context);
    if (found !== undefined) return found;
  }
  return undefined;
}

async function findTokenOfType(
  type: TokenType,
  token: string,
  context: TokenLookupContext,
): Promise<FoundToken | undefined> {
  if (type === 'access_token') {
    const accessToken = await verifyAccessToken(token, context);
    return accessToken === undefined ? undefined : { type, accessToken };
  }
  const refreshToken = await context.refreshTokens.find(token);
  return refreshToken === undefined ? undefined : { type, refreshToken };
}
