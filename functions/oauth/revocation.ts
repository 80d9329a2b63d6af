/**
 * The revocation endpoint (RFC 7009). The client authenticates as at the token endpoint and
 * may revoke only its own tokens. Revoking a refresh token revokes its family, which also
 * makes the access tokens issued from that family inactive at the introspection endpoint.
 * Revoking an access token records its `jti` until the token expires.
 *
 * Every token that is not revoked here still gets 200 (RFC 7009 section 2.2): an unknown,
 * malformed, expired or already revoked token, and a token of another client. The handler
 * logs the returned outcome.
 */
import type { Parameters } from '../http/parameters.ts';
import type { VerifiedAccessToken } from './access-token-verification.ts';
import { readClientCredentials } from './client-authentication.ts';
import type { RegisteredClient } from './client.ts';
import { epochSeconds } from './clock.ts';
import type { FoundRefreshToken } from './refresh-tokens.ts';
import {
  findToken,
  readPresentedToken,
  type TokenLookupContext,
  type TokenType,
} from './token-lookup.ts';

export type RevocationOutcome =
  | { status: 'revoked'; tokenType: TokenType }
  | { status: 'already_revoked'; tokenType: TokenType }
  /** The token belongs to another client, so nothing was revoked. */
  | { status: 'other_client'; tokenType: TokenType; tokenClientId: string }
  /** The server did not issue the token, or it is malformed or expired. */
  | { status: 'not_found' };

/** Authenticates the client, then revokes the presented token if it is the client's. */
export async function handleRevocationRequest(
  parameters: Parameters,
  authorization: string | undefined,
  context: TokenLookupContext,
): Promise<{ client: RegisteredClient; outcome: RevocationOutcome }> {
  const credentials = readClientCredentials(authorization, parameters);
  const client = await context.clients.authenticate(credentials);
  const presented = readPresentedToken(parameters);

  const found = await findToken(presented, context);
  if (found === undefined) return { client, outcome: { status: 'not_found' } };

  const outcome =
    found.type === 'access_token'
      ? await revokeAccessToken(found.accessToken, client, context)
      : await revokeRefreshToken(found.refreshToken, client, context);
  return { client, outcome };
}

async function revokeAccessToken(
  accessToken: VerifiedAccessToken,
  client: RegisteredClient,
  context: TokenLookupContext,
): Promise<RevocationOutcome> {
  const tokenType = 'access_token';
  if (accessToken.clientId !== client.clientId) {
    return { status: 'other_client', tokenType, tokenClientId: accessToken.clientId };
  }

  const recorded = await context.revokedAccessTokens.revokeAccessToken({
    jti: accessToken.jti,
    clientId: client.clientId,
    revokedAt: epochSeconds(context.clock),
    expiresAt: accessToken.expiresAt,
  });
  return { status: recorded ? 'revoked' : 'already_revoked', tokenType };
}

async function revokeRefreshToken(
  { family }: FoundRefreshToken,
  client: RegisteredClient,
  context: TokenLookupContext,
): Promise<RevocationOutcome> {
  const tokenType = 'refresh_token';
  if (family.clientId !== client.clientId) {
    return { status: 'other_client', tokenType, tokenClientId: family.clientId };
  }
  if (family.revokedAt !== undefined) return { status: 'already_revoked', tokenType };

  // The family is revoked even when the presented token was rotated already, because the
  // client held a token of the family, and revocation ends the whole grant.
  await context.refreshTokens.revokeFamily(family.familyId);
  return { status: 'revoked', tokenType };
}
