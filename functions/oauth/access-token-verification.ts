/**
 * Verification of the server's own access tokens, for revocation and introspection. A token
 * passes when a published signing key made its signature, its header has `typ: at+jwt`, its
 * issuer is this server, and it has not expired. Revocation is checked elsewhere.
 */
import { errors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { REFRESH_FAMILY_CLAIM } from './access-token.ts';
import type { Clock } from './clock.ts';
import type { SigningKeys } from './signing-keys.ts';

/** The claims of a verified access token (RFC 9068 section 2.2). */
export interface VerifiedAccessToken {
  jti: string;
  issuer: string;
  subject: string;
  clientId: string;
  audience: string | string[];
  scope?: string;
  /** Seconds since the Unix epoch. */
  issuedAt: number;
  /** Seconds since the Unix epoch. */
  expiresAt: number;
  /** Seconds since the Unix epoch. The server sets no `nbf`, but a token may carry one. */
  notBefore?: number;
  /** The refresh token family of a user grant's token; absent for client credentials. */
  refreshFamily?: string;
}

export interface AccessTokenVerifier {
  issuer: string;
  signingKeys: SigningKeys;
  clock: Clock;
}

/**
 * Verifies a presented access token. Returns undefined when it is malformed, expired, signed
 * by a key that is no longer published, or not the server's access token. A storage fault
 * while loading the keys is thrown.
 */
export async function verifyAccessToken(
  token: string,
  { issuer, signingKeys, clock }: AccessTokenVerifier,
): Promise<VerifiedAccessToken | undefined> {
  const resolveKey = async (header: JWTHeaderParameters) => {
    const { kid, alg } = header;
    const key = kid === undefined ? undefined : await signingKeys.verificationKey(kid);
    if (key === undefined || key.algorithm !== alg) {
      throw new errors.JWKSNoMatchingKey('No published signing key matches the token.');
    }
    return key.publicKey;
  };

  try {
    const { payload } = await jwtVerify(token, resolveKey, {
      issuer,
      typ: 'at+jwt',
      requiredClaims: ['jti', 'sub', 'aud', 'iat', 'exp'],
      currentDate: new Date(clock.now()),
    });
    return readClaims(payload);
  } catch (error) {
    if (error instanceof errors.JOSEError) return undefined;
    throw error;
  }
}

function readClaims(payload: JWTPayload): VerifiedAccessToken | undefined {
  const { jti, iss, sub, aud, iat, exp, nbf, client_id: clientId, scope } = payload;
  const family = payload[REFRESH_FAMILY_CLAIM];
  if (typeof clientId !== 'string' || jti === undefined || iss === undefined) return undefined;
  if (sub === undefined || aud === undefined || iat === undefined || exp === undefined) {
    return undefined;
  }

  return {
    jti,
    issuer: iss,
    subject: sub,
    clientId,
    audience: aud,
    ...(typeof scope === 'string' ? { scope } : {}),
    issuedAt: iat,
    expiresAt: exp,
    ...(nbf === undefined ? {} : { notBefore: nbf }),
    ...(typeof family === 'string' ? { refreshFamily: family } : {}),
  };
}
