/**
 * Authorization server metadata (RFC 8414) and OpenID Connect discovery. Both documents list
 * exactly what the server implements, so that clients never try a feature it lacks.
 */
import { CLIENT_AUTHENTICATION_METHODS, RESPONSE_TYPES } from './client.ts';
import { CLIENT_ASSERTION_ALGORITHMS } from './client-assertion.ts';
import { PROMPTS } from './authorization-request.ts';
import { CODE_CHALLENGE_METHODS } from './pkce.ts';
import { SIGNING_ALGORITHMS } from './signing-keys.ts';
import { SUPPORTED_GRANT_TYPES } from './token-endpoint.ts';

export const AUTHORIZATION_PATH = '/authorize';
export const TOKEN_PATH = '/token';
export const JWKS_PATH = '/jwks.json';
export const REVOCATION_PATH = '/revoke';
export const INTROSPECTION_PATH = '/introspect';
export const USERINFO_PATH = '/userinfo';
export const END_SESSION_PATH = '/logout';

/** Public clients may revoke their tokens but not introspect, which needs authentication. */
const INTROSPECTION_AUTH_METHODS = CLIENT_AUTHENTICATION_METHODS.filter(
  (method) => method !== 'none',
);

export function authorizationServerMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}${AUTHORIZATION_PATH}`,
    token_endpoint: `${issuer}${TOKEN_PATH}`,
    jwks_uri: `${issuer}${JWKS_PATH}`,
    // The implicit grant is issued by the authorization endpoint, not the token endpoint.
    grant_types_supported: [...SUPPORTED_GRANT_TYPES, 'implicit'],
    response_types_supported: RESPONSE_TYPES,
    response_modes_supported: ['query', 'fragment'],
    token_endpoint_auth_methods_supported: CLIENT_AUTHENTICATION_METHODS,
    // RFC 8414 section 2 requires the algorithms wherever private_key_jwt is listed.
    token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
    code_challenge_methods_supported: CODE_CHALLENGE_METHODS,
    authorization_response_iss_parameter_supported: true,
    revocation_endpoint: `${issuer}${REVOCATION_PATH}`,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTHENTICATION_METHODS,
    revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
    introspection_endpoint: `${issuer}${INTROSPECTION_PATH}`,
    introspection_endpoint_auth_methods_supported: INTROSPECTION_AUTH_METHODS,
    introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
  };
}

/**
 * The claims that ID tokens and the UserInfo endpoint return. Profile claims come only from
 * the UserInfo endpoint: `name` with the `profile` scope, `email` and `email_verified` with
 * `email`.
 */
const CLAIMS = [
  'sub',
  'iss',
  'aud',
  'azp',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'at_hash',
  'amr',
  'name',
  'email',
  'email_verified',
];

/**
 * Returns the document at /.well-known/openid-configuration (OpenID Connect Discovery 1.0
 * section 3): the RFC 8414 members and the OpenID Connect ones. `offline_access` is not among
 * the scopes, because refresh tokens depend on the client's grant types here, not on that scope.
 */
export function openIdConfiguration(issuer: string): Record<string, unknown> {
  return {
    ...authorizationServerMetadata(issuer),
    userinfo_endpoint: `${issuer}${USERINFO_PATH}`,
    end_session_endpoint: `${issuer}${END_SESSION_PATH}`,
    scopes_supported: ['openid', 'profile', 'email'],
    claims_supported: CLAIMS,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: SIGNING_ALGORITHMS,
    prompt_values_supported: PROMPTS,
    claims_parameter_supported: false,
    request_parameter_supported: false,
    // The default is true, so the document must state that the server rejects request_uri.
    request_uri_parameter_supported: false,
  };
}
