/**
 * The refresh token grant (RFC 6749 section 6). The token rotates on every use; the request
 * may narrow the scope of the new access token but not widen it.
 */
import { InvalidGrantError, InvalidRequestError, InvalidScopeError } from '../errors.ts';
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
      scopes = narrowScopes(parameters.get('scope'), family.scopes);
    });
    await checkUserActive(rotation.family.userId, context);

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

async function checkUserActive(userId: string, context: TokenEndpointContext): Promise<void> {
  if (context.users === undefined) return;
  const user = await context.users.findUserById(userId);
  if (user === undefined || user.disabled) {
    throw new InvalidGrantError('The user of this refresh token is disabled or deleted.');
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
