/** The client credentials grant (RFC 6749 section 4.4): the client obtains a token for itself. */
import { signAccessToken } from '../access-token.ts';
import { epochSeconds } from '../clock.ts';
import { grantScopes } from '../scope.ts';
import type { Grant } from '../token-endpoint.ts';

export const clientCredentialsGrant: Grant = {
  type: 'client_credentials',

  async handle({ parameters, client }, { settings, signingKeys, clock }) {
    const scopes = grantScopes(parameters.get('scope'), client.scopes);
    const key = await signingKeys.current();
    const lifetimeSeconds = client.accessTokenLifetimeSeconds ?? settings.accessTokenLifetimeSeconds;

    const accessToken = await signAccessToken(
      {
        issuer: settings.issuer,
        subject: client.clientId,
        clientId: client.clientId,
        audience: client.audience ?? settings.accessTokenAudience,
        scopes,
        issuedAt: epochSeconds(clock),
        lifetimeSeconds,
      },
      key,
    );

    return {
      access_token: accessToken.token,
      token_type: 'Bearer',
      expires_in: accessToken.expiresIn,
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    };
  },
};
