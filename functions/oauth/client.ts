/** Registered clients: the metadata that the token endpoint checks a request against. */

/** Client authentication methods of the token endpoint (RFC 7591 `token_endpoint_auth_method`). */
export type ClientAuthenticationMethod = 'client_secret_basic' | 'client_secret_post';

export const CLIENT_AUTHENTICATION_METHODS: readonly ClientAuthenticationMethod[] = [
  'client_secret_basic',
  'client_secret_post',
];

export type GrantType = 'client_credentials';

export const GRANT_TYPES: readonly GrantType[] = ['client_credentials'];

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
  secretHash: SecretHash;
  tokenEndpointAuthMethod: ClientAuthenticationMethod;
  grantTypes: GrantType[];
  /** The scopes the client may request. A request without `scope` gets all of them. */
  scopes: string[];
  /** The `aud` of the client's access tokens; the server default when absent. */
  audience?: string;
  /** Overrides the server's access token lifetime for this client. */
  accessTokenLifetimeSeconds?: number;
}

/** Looks up registered clients. Implementations may cache, and return undefined if unknown. */
export interface ClientStore {
  findClient(clientId: string): Promise<RegisteredClient | undefined>;
}
