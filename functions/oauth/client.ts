/** Registered clients: the metadata that the endpoints check a request against. */

/**
 * Client authentication methods of the token endpoint (RFC 7591 `token_endpoint_auth_method`).
 * `none` marks a public client, such as a single-page or native app, which has no secret.
 */
export type ClientAuthenticationMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export const CLIENT_AUTHENTICATION_METHODS: readonly ClientAuthenticationMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'none',
];

export type GrantType = 'client_credentials' | 'authorization_code' | 'refresh_token';

export const GRANT_TYPES: readonly GrantType[] = [
  'authorization_code',
  'client_credentials',
  'refresh_token',
];

export type ResponseType = 'code';

export const RESPONSE_TYPES: readonly ResponseType[] = ['code'];

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
  /** Absent for public clients, whose `tokenEndpointAuthMethod` is `none`. */
  secretHash?: SecretHash;
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
