/** Registered clients: the metadata that the endpoints check a request against. */
import type { JWK } from 'jose';
import type { SigningAlgorithm } from './signing-keys.ts';

/**
 * Client authentication methods of the token endpoint (RFC 7591 `token_endpoint_auth_method`).
 * `none` marks a public client, such as a single-page or native app, which has no secret.
 * `private_key_jwt` clients sign a JWT with a key whose public half is in their `jwks`.
 */
export type ClientAuthenticationMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'none'
  | 'private_key_jwt';

export const CLIENT_AUTHENTICATION_METHODS: readonly ClientAuthenticationMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'none',
  'private_key_jwt',
];

/**
 * `password` is the resource owner password credentials grant, a legacy option that no client
 * has unless its registration lists it. So is `implicit` (RFC 6749 section 4.2), which also
 * needs an implicit response type in `responseTypes`.
 */
export type GrantType =
  | 'client_credentials'
  | 'authorization_code'
  | 'refresh_token'
  | 'password'
  | 'implicit';

export const GRANT_TYPES: readonly GrantType[] = [
  'authorization_code',
  'client_credentials',
  'refresh_token',
  'password',
  'implicit',
];

/**
 * `token` (RFC 6749 section 4.2) and `id_token token` (OpenID Connect Core section 3.2) are
 * the implicit flow, which RFC 9700 section 2.1.2 advises against because the access token
 * travels in the browser's URL. A client may use them only when it lists them here and has
 * the `implicit` grant type.
 */
export type ResponseType = 'code' | 'token' | 'id_token token';

export const RESPONSE_TYPES: readonly ResponseType[] = ['code', 'token', 'id_token token'];

/** A client secret's scrypt hash with the parameters that produced it, so they can be raised. */
export interface SecretHash {
  algorithm: 'scrypt';
  /** base64url */
  salt: string;
  /** base64url */
  hash: string;
  cost: number;
  blockSize: number;
  parallelization: number;
}

export interface RegisteredClient {
  clientId: string;
  clientName?: string;
  /** Absent for public clients and for `private_key_jwt` clients. */
  secretHash?: SecretHash;
  /**
   * The public keys that verify the client's assertions (RFC 7517 JWK Set), for the
   * `private_key_jwt` method. Private key members are rejected when the client is stored.
   */
  jwks?: { keys: JWK[] };
  tokenEndpointAuthMethod: ClientAuthenticationMethod;
  grantTypes: GrantType[];
  /** The response types the client may request at the authorization endpoint. */
  responseTypes?: ResponseType[];
  /** Registered redirect URIs, matched exactly (RFC 8252 loopback ports excepted). */
  redirectUris?: string[];
  /** The scopes the client may request. A request without `scope` gets all of them. */
  scopes: string[];
  /** Whether users are never asked for consent: for first-party apps. */
  skipConsent?: boolean;
  /** The `aud` of the client's access tokens; the server default when absent. */
  audience?: string;
  /** Overrides the server's access token lifetime for this client. */
  accessTokenLifetimeSeconds?: number;
  /** Overrides the server's refresh token idle lifetime for this client. */
  refreshTokenIdleSeconds?: number;
  /** Overrides the server's refresh token absolute lifetime for this client. */
  refreshTokenAbsoluteSeconds?: number;
  /**
   * Whether the client may call the introspection endpoint (RFC 7662), as a resource server
   * does. Only confidential clients can use it: anyone can present a public client's id.
   */
  introspection?: boolean;
  /** The `alg` of the client's ID tokens; ES256 when absent. */
  idTokenSignedResponseAlg?: SigningAlgorithm;
  /**
   * The URIs to which the client may send the browser after logout (OpenID Connect
   * RP-Initiated Logout 1.0), matched like `redirectUris`.
   */
  postLogoutRedirectUris?: string[];
  /**
   * Seconds since the Unix epoch. Refresh token families that the client's grants started
   * before it, and access tokens issued (`iat`) before it, are revoked. The administration
   * command `tokens revoke --client` sets it.
   */
  tokensRevokedBefore?: number;
}

export function isPublicClient(client: RegisteredClient): boolean {
  return client.tokenEndpointAuthMethod === 'none';
}

/** Looks up registered clients. Implementations may cache, and return undefined if unknown. */
export interface ClientStore {
  findClient(clientId: string): Promise<RegisteredClient | undefined>;
  /** Drops a cached copy, so that the next lookup reads the client again. */
  forget?(clientId: string): void;
}
