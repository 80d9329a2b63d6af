/**
 * Authorization server metadata (RFC 8414) and OpenID Connect discovery. Both documents list
 * exactly what the server implements, so that clients never try a feature it lacks.
 */
import { CLIENT_AUTHENTICATION_METHODS } from './client.ts';
import { SUPPORTED_GRANT_TYPES } from './token-endpoint.ts';

export const TOKEN_PATH = '/token';
export const JWKS_PATH = '/jwks.json';

export function authorizationServerMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    token_endpoint: `${issuer}${TOKEN_PATH}`,
    jwks_uri: `${issuer}${JWKS_PATH}`,
    grant_types_supported: SUPPORTED_GRANT_TYPES,
    token_endpoint_auth_methods_supported: CLIENT_AUTHENTICATION_METHODS,
    // RFC 8414 requires this member. Without an authorization endpoint, no response type is
    // supported.
    response_types_supported: [],
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
