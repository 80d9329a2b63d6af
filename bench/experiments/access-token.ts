/**
 * The proposed functions/oauth/access-token.ts: the same tokens, signed with node:crypto's
 * synchronous sign() and a KeyObject instead of jose's SignJWT on WebCrypto, and with the
 * `jti` cut from a pooled random buffer instead of one randomBytes() call per token.
 * Only bench/experiments/proposals-hooks.ts loads it.
 */
import { KeyObject, randomBytes, sign } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import type { AccessTokenClaims, IssuedAccessToken } from '../../functions/oauth/access-token.ts';
import type { ActiveSigningKey } from '../../functions/oauth/signing-keys.ts';

export type { AccessTokenClaims, IssuedAccessToken } from '../../functions/oauth/access-token.ts';

/** The same value as the original module exports. */
export const REFRESH_FAMILY_CLAIM = 'refresh_family';

const JTI_BYTES = 16;
const POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let poolOffset = 0;

/** Returns 16 random bytes, base64url-encoded, from a pool refilled every 256 ids. */
function newJti(): string {
  if (poolOffset + JTI_BYTES > randomPool.length) {
    randomPool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const jti = randomPool.subarray(poolOffset, poolOffset + JTI_BYTES).toString('base64url');
  poolOffset += JTI_BYTES;
  return jti;
}

/** KeyObjects of the CryptoKeys that SigningKeys imports, converted once per key. */
const keyObjects = new WeakMap<object, KeyObject>();

function keyObjectOf(key: ActiveSigningKey): KeyObject {
  let keyObject = keyObjects.get(key.privateKey);
  if (keyObject === undefined) {
    keyObject = KeyObject.from(key.privateKey as unknown as webcrypto.CryptoKey);
    keyObjects.set(key.privateKey, keyObject);
  }
  return keyObject;
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export async function signAccessToken(
  claims: AccessTokenClaims,
  key: ActiveSigningKey,
): Promise<IssuedAccessToken> {
  const jti = newJti();
  const payload: Record<string, unknown> = { ...claims.extraClaims, client_id: claims.clientId };
  delete payload.scope;
  if (claims.scopes.length > 0) payload.scope = claims.scopes.join(' ');
  Object.assign(payload, {
    iss: claims.issuer,
    sub: claims.subject,
    aud: claims.audience,
    jti,
    iat: claims.issuedAt,
    exp: claims.issuedAt + claims.lifetimeSeconds,
  });

  const signingInput = `${encodeJson({ alg: key.algorithm, typ: 'at+jwt', kid: key.kid })}.${encodeJson(payload)}`;
  // JWS wants the raw r || s form of an ECDSA signature (RFC 7518 section 3.4).
  const signature = sign('sha256', Buffer.from(signingInput), {
    key: keyObjectOf(key),
    dsaEncoding: 'ieee-p1363',
  });
  return { token: `${signingInput}.${signature.toString('base64url')}`, jti, expiresIn: claims.lifetimeSeconds };
}
