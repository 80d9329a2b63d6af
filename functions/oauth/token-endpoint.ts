/**
 * The token endpoint (RFC 6749 section 3.2): authenticates the client, then hands the request
 * to the module of its grant type.
 */
import type { Parameters } from '../http/parameters.ts';
import { printable } from '../http/parameters.ts';
import type { ClientAuthenticator } from './client-authentication.ts';
import { readClientCredentials } from './client-authentication.ts';
import type { GrantType, RegisteredClient } from './client.ts';
import type { Clock } from './clock.ts';
import {
  InvalidRequestError,
  UnauthorizedClientError,
  UnsupportedGrantTypeError,
} from './errors.ts';
import type { AuthorizationCodeStore } from './grant-records.ts';
import { authorizationCodeGrant } from './grants/authorization-code.ts';
import { clientCredentialsGrant } from './grants/client-credentials.ts';
import { passwordGrant } from './grants/password.ts';
import { refreshTokenGrant } from './grants/refresh-token.ts';
import type { LoginRateLimiter } from './login-rate-limit.ts';
import type { RefreshTokens } from './refresh-tokens.ts';
import type { SigningKeys } from './signing-keys.ts';
import type { UserStore } from './users.ts';

export interface TokenEndpointSettings {
  issuer: string;
  accessTokenLifetimeSeconds: number;
  accessTokenAudience: string;
  idTokenLifetimeSeconds: number;
}

/** What a grant needs besides the request. */
export interface TokenEndpointContext {
  settings: TokenEndpointSettings;
  clients: ClientAuthenticator;
  signingKeys: SigningKeys;
  codes: AuthorizationCodeStore;
  refreshTokens: RefreshTokens;
  /** Checked on refresh, so a disabled or deleted user loses access; skipped when absent. */
  users?: UserStore;
  /** Counts failed passwords of the password grant, which fails without it and `users`. */
  loginRateLimiter?: LoginRateLimiter;
  clock: Clock;
}

/** The successful token response of RFC 6749 section 5.1. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope?: string;
  /** With the `openid` scope (OpenID Connect Core section 3.1.3.3). */
  id_token?: string;
}

export interface TokenRequest {
  parameters: Parameters;
  client: RegisteredClient;
  /** The client's IP address, which the password grant's rate limits count by. */
  sourceIp?: string;
}

export interface Grant {
  type: GrantType;
  handle(request: TokenRequest, context: TokenEndpointContext): Promise<TokenResponse>;
}

const grants: ReadonlyMap<string, Grant> = new Map(
  [authorizationCodeGrant, clientCredentialsGrant, refreshTokenGrant, passwordGrant].map(
    (grant) => [grant.type, grant],
  ),
);

export const SUPPORTED_GRANT_TYPES: readonly GrantType[] = [...grants.values()].map((g) => g.type);

/** Runs a token request through grant type checks, client authentication and the grant. */
export async function handleTokenRequest(
  parameters: Parameters,
  authorization: string | undefined,
  context: TokenEndpointContext,
  sourceIp?: string,
): Promise<{ response: TokenResponse; client: RegisteredClient; grantType: GrantType }> {
  const grant = findGrant(parameters.get('grant_type'));

  const credentials = readClientCredentials(authorization, parameters);
  const client = await context.clients.authenticate(credentials);

  if (!client.grantTypes.includes(grant.type)) {
    throw new UnauthorizedClientError(`The client may not use the ${grant.type} grant.`);
  }

  const response = await grant.handle({ parameters, client, sourceIp }, context);
  return { response, client, grantType: grant.type };
}

function findGrant(grantType: string | undefined): Grant {
  if (grantType === undefined) {
    throw new InvalidRequestError('The grant_type parameter is missing.');
  }
  const grant = grants.get(grantType);
  if (grant === undefined) {
    throw new UnsupportedGrantTypeError(
      `The grant type '${printable(grantType)}' is not supported. ` +
        `Supported: ${SUPPORTED_GRANT_TYPES.join(', ')}.`,
    );
  }
  return grant;
}
