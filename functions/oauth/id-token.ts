/**
 * ID tokens (OpenID Connect Core section 2): the signed statement, for one client, of which
 * user signed in, when and how. The token endpoint adds one to every response of a grant with
 * the `openid` scope, and the implicit flow to its `id_token token` responses. The token has no
 * profile claims. The client reads those from the UserInfo endpoint with the access token that
 * comes with every ID token here.
 */
import { SignJWT } from 'jose';
import { createHash } from 'node:crypto';
import type { RegisteredClient } from './client.ts';
import { epochSeconds, type Clock } from './clock.ts';
import {
  DEFAULT_SIGNING_ALGORITHM,
  type ActiveSigningKey,
  type SigningAlgorithm,
  type SigningKeys,
} from './signing-keys.ts';

export const OPENID_SCOPE = 'openid';

/** The `typ` header of ID tokens, which distinguishes them from `at+jwt` access tokens. */
export const ID_TOKEN_TYPE = 'JWT';

export interface IdTokenClaims {
  issuer: string;
  /** The user id. */
  subject: string;
  /** The client, which is both `aud` and `azp`. */
  clientId: string;
  /** Seconds since the Unix epoch. */
  issuedAt: number;
  lifetimeSeconds: number;
  /** Seconds since the Unix epoch when the user last entered a password. */
  authTime?: number;
  /** Authentication methods references (RFC 8176), such as ['pwd']. */
  amr?: readonly string[];
  /** The `nonce` of the authorization request, echoed unchanged. */
  nonce?: string;
  /** The access token issued with the ID token, bound to it by `at_hash`. */
  accessToken?: string;
}

/** Signs an ID token with the key's `kid` and header `typ: JWT`. */
export async function signIdToken(claims: IdTokenClaims, key: ActiveSigningKey): Promise<string> {
  // azp is only required when aud names several parties, but some relying parties expect it.
  const payload: Record<string, unknown> = { azp: claims.clientId };
  if (claims.authTime !== undefined) payload.auth_time = claims.authTime;
  if (claims.nonce !== undefined) payload.nonce = claims.nonce;
  if (claims.amr !== undefined && claims.amr.length > 0) payload.amr = [...claims.amr];
  if (claims.accessToken !== undefined) {
    payload.at_hash = tokenHash(claims.accessToken, key.algorithm);
  }

  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.algorithm, typ: ID_TOKEN_TYPE, kid: key.kid })
    .setIssuer(claims.issuer)
    .setSubject(claims.subject)
    .setAudience(claims.clientId)
    .setIssuedAt(claims.issuedAt)
    .setExpirationTime(claims.issuedAt + claims.lifetimeSeconds)
    .sign(key.privateKey);
}

/**
 * The SHA-2 function whose size matches each algorithm's (OpenID Connect Core 3.1.3.6). EdDSA
 * names no hash; for Ed25519 keys the OpenID Connect working group chose SHA-512 (OpenID
 * Connect Token Hash Algorithms 1.0).
 */
const HASH_FUNCTIONS: Record<SigningAlgorithm, string> = {
  ES256: 'sha256',
  RS256: 'sha256',
  EdDSA: 'sha512',
};

/**
 * Returns the `at_hash` of a token: the left half of its hash under the signing algorithm's
 * hash function, base64url-encoded (OpenID Connect Core section 3.1.3.6).
 */
export function tokenHash(token: string, algorithm: SigningAlgorithm): string {
  const digest = createHash(HASH_FUNCTIONS[algorithm]).update(token, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** A grant by a user, as far as its ID token is concerned. */
export interface IdTokenGrant {
  client: RegisteredClient;
  userId: string;
  scopes: readonly string[];
  authTime?: number;
  amr?: readonly string[];
  nonce?: string;
  /** The access token of the same response. */
  accessToken: string;
}

export interface IdTokenIssuer {
  issuer: string;
  idTokenLifetimeSeconds: number;
  signingKeys: SigningKeys;
  clock: Clock;
}

/**
 * Signs the ID token of a grant with the client's registered algorithm, or returns undefined
 * when the grant lacks the `openid` scope.
 */
export async function issueIdToken(
  grant: IdTokenGrant,
  { issuer, idTokenLifetimeSeconds, signingKeys, clock }: IdTokenIssuer,
): Promise<string | undefined> {
  if (!grant.scopes.includes(OPENID_SCOPE)) return undefined;

  const algorithm = grant.client.idTokenSignedResponseAlg ?? DEFAULT_SIGNING_ALGORITHM;
  const key = await signingKeys.current(algorithm);
  return signIdToken(
    {
      issuer,
      subject: grant.userId,
      clientId: grant.client.clientId,
      issuedAt: epochSeconds(clock),
      lifetimeSeconds: idTokenLifetimeSeconds,
      ...(grant.authTime === undefined ? {} : { authTime: grant.authTime }),
      ...(grant.amr === undefined ? {} : { amr: grant.amr }),
      ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
      accessToken: grant.accessToken,
    },
    key,
  );
}
