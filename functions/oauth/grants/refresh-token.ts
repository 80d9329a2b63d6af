/**
 * The refresh token grant (RFC 6749 section 6). The token rotates on every use; the request
 * may narrow the scope of the new access token but not widen it.
 */
import { InvalidGrantError, InvalidRequestError, InvalidScopeError } from '../errors.ts';
import type { RefreshFamily } from '../grant-records.ts';
import { isBeforeCutoff } from '../revocation-cutoffs.ts';
import { parseScope } from '../scope.ts';
import type { Grant, TokenEndpointContext } from '../token-endpoint.ts';
import { userTokenResponse } from './issue-tokens.ts';

export const refreshTokenGrant: Grant = {
  type: 'refresh_token',

  async handle({ parameters, client }, context) {
    const presented = parameters.get('refresh_token');
    if (presented === undefined) {
      throw new InvalidRequestError('The refresh_token parameter is missing.');
    }

    let scopes: string[] = [];
    const rotation = await context.refreshTokens.rotate(presented, client, (family) => {
      if (isBeforeCutoff(family.createdAt, client.tokensRevokedBefore)) {
        throw new InvalidGrantError('The tokens of this client were revoked.');
      }
      scopes = narrowScopes(parameters.get('scope'), family.scopes);
    });
    await checkUserActive(rotation.family, context);

    const { family } = rotation;
    return userTokenResponse(
      {
        client,
        userId: family.userId,
        scopes,
        refreshToken: rotation.refreshToken,
        familyId: family.familyId,
        // NOTE: the family stores no amr, so a refreshed ID token has none. It has no nonce
        // either, as OpenID Connect Core section 12.2 advises.
        authTime: family.authTime,
      },
      context,
    );
  },
};

/**
 * Rejects the refresh when the family's user is disabled or deleted, or was signed out
 * everywhere after the sign-in that started the family.
 */
async function checkUserActive(
  family: Pick<RefreshFamily, 'userId' | 'authTime'>,
  context: TokenEndpointContext,
): Promise<void> {
  if (context.users === undefined) return;
  const user = await context.users.findUserById(family.userId);
  if (user === undefined || user.disabled) {
    throw new InvalidGrantError('The user of this refresh token is disabled or deleted.');
  }
  if (isBeforeCutoff(family.authTime, user.signedOutAt)) {
    throw new InvalidGrantError('The user was signed out. The user must sign in again.');
  }
}

function narrowScopes(requested: string | undefined, granted: string[]): string[] {
  if (requested === undefined) return granted;

  const scopes = parseScope(requested);
  const wider = scopes.filter((scope) => !granted.includes(scope));
  if (wider.length > 0) {
    throw new InvalidScopeError(
      `The scope exceeds the original grant: ${wider.slice(0, 5).join(' ')}.`,
    );
  }
  return scopes;
}
