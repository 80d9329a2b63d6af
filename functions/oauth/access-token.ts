/** JWT access tokens in the profile of RFC 9068. */
import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import type { ActiveSigningKey } from './signing-keys.ts';

export interface AccessTokenClaims {
  issuer: string;
  /** The resource owner: the client itself in the client credentials grant. */
  subject: string;
  clientId: string;
  audience: string;
  scopes: readonly string[];
  /** Seconds since the Unix epoch. */
  issuedAt: number;
  lifetimeSeconds: number;
  /** Private claims to add. They cannot replace the claims above. */
  extraClaims?: Readonly<Record<string, string>>;
}

/**
 * Private claim with the refresh token family of an access token issued in a user grant. The
 * introspection endpoint reads it to report the token inactive once the family is revoked.
 * It is not `sid`, which OpenID Connect defines as the session id.
 */
export const REFRESH_FAMILY_CLAIM = 'refresh_family';

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
}

/** Signs an access token with header `typ: at+jwt` and the key's `kid` (RFC 9068 section 2.1). */
export async function signAccessToken(
  claims: AccessTokenClaims,
  key: ActiveSigningKey,
): Promise<IssuedAccessToken> {
  const jti = randomBytes(16).toString('base64url');
  const payload: Record<string, unknown> = { ...claims.extraClaims, client_id: claims.clientId };
  delete payload.scope;
  if (claims.scopes.length > 0) payload.scope = claims.scopes.join(' ');

  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: key.algorithm, typ: 'at+jwt', kid: key.kid })
    .setIssuer(claims.issuer)
    .setSubject(claims.subject)
    .setAudience(claims.audience)
    .setJti(jti)
    .setIssuedAt(claims.issuedAt)
    .setExpirationTime(claims.issuedAt + claims.lifetimeSeconds)
    .sign(key.privateKey);

  return { token, jti, expiresIn: claims.lifetimeSeconds };
}
