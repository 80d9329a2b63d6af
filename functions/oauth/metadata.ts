/**
 * Authorization server metadata (RFC 8414) and OpenID Connect discovery. Both documents list
 * exactly what the server implements, so that clients never try a feature it lacks.
 */
import { CLIENT_AUTHENTICATION_METHODS, RESPONSE_TYPES } from './client.ts';
import { CODE_CHALLENGE_METHODS } from './pkce.ts';
import { SUPPORTED_GRANT_TYPES } from './token-endpoint.ts';

export const AUTHORIZATION_PATH = '/authorize';
export const TOKEN_PATH = '/token';
export const JWKS_PATH = '/jwks.json';

export function authorizationServerMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}${AUTHORIZATION_PATH}`,
    token_endpoint: `${issuer}${TOKEN_PATH}`,
    jwks_uri: `${issuer}${JWKS_PATH}`,
    grant_types_supported: SUPPORTED_GRANT_TYPES,
    response_types_supported: RESPONSE_TYPES,
    response_modes_supported: ['query'],
    token_endpoint_auth_methods_supported: CLIENT_AUTHENTICATION_METHODS,
    code_challenge_methods_supported: CODE_CHALLENGE_METHODS,
    authorization_response_iss_parameter_supported: true,
  };
}

/**
 * The document at /.well-known/openid-configuration. Until the server issues ID tokens it
 * lists the same members as the RFC 8414 document, because claiming ID token algorithms or
 * subject types it does not serve would mislead relying parties.
 */
export function openIdConfiguration(issuer: string): Record<string, unknown> {
  return authorizationServerMetadata(issuer);
}
