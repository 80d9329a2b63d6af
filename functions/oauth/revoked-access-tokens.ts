/**
 * Revoked access tokens, recorded by their `jti`. An access token is a signed JWT, so the only
 * way to withdraw one before it expires is to remember its id until then.
 */

export interface RevokedAccessToken {
  jti: string;
  /** The client that the token was issued to, which asked for the revocation. */
  clientId: string;
  /** Seconds since the Unix epoch. */
  revokedAt: number;
  /** Seconds since the Unix epoch: the token's `exp`, after which the record is not needed. */
  expiresAt: number;
}

export interface RevokedAccessTokenStore {
  /**
   * Records a revocation unless the `jti` is recorded already. Returns true when this call
   * recorded it, false when an earlier revocation did.
   */
  revokeAccessToken(record: RevokedAccessToken): Promise<boolean>;
  /** Whether the `jti` is revoked. A record past its `expiresAt` counts as absent. */
  isAccessTokenRevoked(jti: string): Promise<boolean>;
}
