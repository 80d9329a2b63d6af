/** The token response for a grant made by a user: an access token and, when allowed, a refresh token. */
import { REFRESH_FAMILY_CLAIM, signAccessToken } from '../access-token.ts';
import { epochSeconds } from '../clock.ts';
import type { RegisteredClient } from '../client.ts';
import { issueIdToken } from '../id-token.ts';
import type { TokenEndpointContext, TokenResponse } from '../token-endpoint.ts';

export interface UserGrant {
  client: RegisteredClient;
  userId: string;
  scopes: string[];
  refreshToken?: string;
  /** The refresh token family that the tokens belong to, when the client may refresh. */
  familyId?: string;
  /** Seconds since the Unix epoch when the user last entered a password. */
  authTime?: number;
  /** Authentication methods references (RFC 8176) of that sign-in. */
  amr?: string[];
  /** The `nonce` of the authorization request, for the ID token. */
  nonce?: string;
}

export async function userTokenResponse(
  grant: UserGrant,
  { settings, signingKeys, clock }: TokenEndpointContext,
): Promise<TokenResponse> {
  const { client, userId, scopes, refreshToken } = grant;
  const key = await signingKeys.current();
  const accessToken = await signAccessToken(
    {
      issuer: settings.issuer,
      subject: userId,
      clientId: client.clientId,
      audience: client.audience ?? settings.accessTokenAudience,
      scopes,
      issuedAt: epochSeconds(clock),
      lifetimeSeconds: client.accessTokenLifetimeSeconds ?? settings.accessTokenLifetimeSeconds,
      ...(grant.familyId === undefined
        ? {}
        : { extraClaims: { [REFRESH_FAMILY_CLAIM]: grant.familyId } }),
    },
    key,
  );
  const idToken = await issueIdToken(
    { ...grant, accessToken: accessToken.token },
    { ...settings, signingKeys, clock },
  );

  return {
    access_token: accessToken.token,
    token_type: 'Bearer',
    expires_in: accessToken.expiresIn,
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    ...(idToken === undefined ? {} : { id_token: idToken }),
  };
}
