/**
 * The implicit flow (RFC 6749 section 4.2, OpenID Connect Core section 3.2), a legacy option
 * for clients that register it. The authorization endpoint itself issues the access token,
 * and for `id_token token` an ID token, and sends them in the redirect URI's fragment. There
 * is no refresh token.
 *
 * RFC 9700 section 2.1.2 advises against the flow: the token passes through the browser,
 * where history, extensions and scripts on the redirect page can read it, and it cannot be
 * bound to the client. New clients use the code flow with PKCE.
 */
import { signAccessToken } from './access-token.ts';
import type { AuthorizationRequest } from './authorization-request.ts';
import type { ClientStore } from './client.ts';
import { epochSeconds, type Clock } from './clock.ts';
import { InvalidRequestError } from './errors.ts';
import { issueIdToken } from './id-token.ts';
import type { SigningKeys } from './signing-keys.ts';
import type { Session } from './users.ts';

export interface ImplicitContext {
  settings: {
    issuer: string;
    accessTokenLifetimeSeconds: number;
    accessTokenAudience: string;
    idTokenLifetimeSeconds: number;
  };
  clients: ClientStore;
  signingKeys: SigningKeys;
  clock: Clock;
}

/**
 * Issues the tokens of an implicit request for the signed-in user and returns the parameters
 * of the response (RFC 6749 section 4.2.2), `id_token` among them for `id_token token`.
 */
export async function implicitResponseParameters(
  request: AuthorizationRequest,
  userId: string,
  session: Session,
  context: ImplicitContext,
): Promise<Record<string, string | undefined>> {
  const client = await context.clients.findClient(request.clientId);
  if (client === undefined) {
    throw new InvalidRequestError(
      'The application that started this request is no longer registered.',
    );
  }

  const { settings, signingKeys, clock } = context;
  const accessToken = await signAccessToken(
    {
      issuer: settings.issuer,
      subject: userId,
      clientId: client.clientId,
      audience: client.audience ?? settings.accessTokenAudience,
      scopes: request.scopes,
      issuedAt: epochSeconds(clock),
      lifetimeSeconds: client.accessTokenLifetimeSeconds ?? settings.accessTokenLifetimeSeconds,
    },
    await signingKeys.current(),
  );
  const idToken =
    request.responseType === 'id_token token'
      ? await issueIdToken(
          {
            client,
            userId,
            scopes: request.scopes,
            authTime: session.authTime,
            amr: session.amr,
            ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
            accessToken: accessToken.token,
          },
          { ...settings, signingKeys, clock },
        )
      : undefined;

  return {
    access_token: accessToken.token,
    token_type: 'Bearer',
    expires_in: String(accessToken.expiresIn),
    scope: request.scopes.length > 0 ? request.scopes.join(' ') : undefined,
    id_token: idToken,
    state: request.state,
  };
}
