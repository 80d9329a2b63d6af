/**
 * The states of a signing key and the writes that move it between them:
 *
 *   next ──promote──▶ current ──retire──▶ retired ──(past retireAfter)──▶ deleted
 *     └──────────────────┴───────────────────┴──revoke──▶ revoked
 *
 * A `next` key is published in the JWKS but does not sign, so that caches learn it before
 * its first token. The `current` key signs, one per algorithm. A `retired` key stays
 * published until `retireAfter`, when every token that it signed has expired. A `revoked` key
 * is removed at once, for a compromised key, and its tokens fail verification. Retiring and
 * revoking erase the private key from the table.
 *
 * Every write is a single-item conditional write on the key's state and version, so of
 * several concurrent writers (rotations, cold starts) exactly one changes a key, and creations
 * of the same generation collide on the item's key. In the eventual consistency mode each
 * region checks the conditions on its own replica; docs/architecture.md explains why the
 * rotation stays safe there.
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.ts';
import type { KeyEncryption } from './key-encryption.ts';
import type {
  SigningAlgorithm,
  SigningKeyState,
  SigningKeyStore,
  StoredSigningKey,
} from './signing-keys.ts';

/** The dependencies of every key write: the store, the key encryption and the clock. */
export interface SigningKeyWriter {
  store: SigningKeyStore;
  keyEncryption: KeyEncryption;
  clock: Clock;
}

/** The modulus length of RS256 keys, in bits. */
const RSA_MODULUS_BITS = 2048;

/**
 * Returns the key that signs for an algorithm: the current key of the highest generation. Two
 * current keys exist only between the two writes of a promotion.
 */
export function currentKey(
  keys: readonly StoredSigningKey[],
  algorithm: SigningAlgorithm,
): StoredSigningKey | undefined {
  return keysIn(keys, algorithm, 'current').at(-1);
}

/** Returns the next key of an algorithm, or of several the oldest, published the longest. */
export function nextKey(
  keys: readonly StoredSigningKey[],
  algorithm: SigningAlgorithm,
): StoredSigningKey | undefined {
  return keysIn(keys, algorithm, 'next')[0];
}

/** Returns an algorithm's keys in one state, by ascending generation. */
export function keysIn(
  keys: readonly StoredSigningKey[],
  algorithm: SigningAlgorithm,
  state: SigningKeyState,
): StoredSigningKey[] {
  return keys
    .filter((key) => key.algorithm === algorithm && key.state === state)
    .sort((first, second) => first.generation - second.generation);
}

/** Returns whether the JWKS publishes the key at `now` (milliseconds since the Unix epoch). */
export function isPublished(key: StoredSigningKey, now: number): boolean {
  if (key.state === 'revoked') return false;
  if (key.state === 'retired') return key.retireAfter === undefined || now < key.retireAfter;
  return true;
}

/** Returns the generation after the highest one of an algorithm, whatever its state. */
export function nextGeneration(
  keys: readonly StoredSigningKey[],
  algorithm: SigningAlgorithm,
): number {
  const generations = keys
    .filter((key) => key.algorithm === algorithm)
    .map((key) => key.generation);
  return Math.max(0, ...generations) + 1;
}

export interface KeyPairJwks {
  kid: string;
  publicJwk: JWK;
  privateJwk: JWK;
}

/** Generates a key pair and its JWKs. The kid is random, so it reveals nothing about the key. */
export async function generateKeyPairJwks(algorithm: SigningAlgorithm): Promise<KeyPairJwks> {
  const { publicKey, privateKey } = await generateKeyPair(algorithm, {
    extractable: true,
    ...(algorithm === 'RS256' ? { modulusLength: RSA_MODULUS_BITS } : {}),
    ...(algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const kid = randomBytes(12).toString('base64url');
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: algorithm, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: algorithm };
  return { kid, publicJwk, privateJwk };
}

/** Generates a key in `state`, with its private JWK encrypted. It is not stored yet. */
export async function generateSigningKey(
  algorithm: SigningAlgorithm,
  generation: number,
  state: 'next' | 'current',
  { keyEncryption, clock }: Pick<SigningKeyWriter, 'keyEncryption' | 'clock'>,
): Promise<StoredSigningKey> {
  const { kid, publicJwk, privateJwk } = await generateKeyPairJwks(algorithm);
  const now = clock.now();
  return {
    kid,
    algorithm,
    generation,
    state,
    version: 1,
    publicJwk,
    encryptedPrivateKey: await keyEncryption.encrypt(privateJwk, kid),
    createdAt: now,
    ...(state === 'current' ? { activatedAt: now } : {}),
  };
}

/**
 * Creates a key of the next generation. Returns it, or undefined when a concurrent writer
 * created that generation first.
 */
export async function createKey(
  writer: SigningKeyWriter,
  keys: readonly StoredSigningKey[],
  algorithm: SigningAlgorithm,
  state: 'next' | 'current',
): Promise<StoredSigningKey | undefined> {
  const key = await generateSigningKey(algorithm, nextGeneration(keys, algorithm), state, writer);
  return (await writer.store.createSigningKey(key)) ? key : undefined;
}

/** Makes a next key current. Returns false when the key changed since it was read. */
export function promoteKey(writer: SigningKeyWriter, key: StoredSigningKey): Promise<boolean> {
  return writer.store.updateSigningKey(key, { state: 'current', activatedAt: writer.clock.now() });
}

/**
 * Retires a key that no longer signs: it stays published for `retentionSeconds`, and its
 * private key is erased. Returns false when the key changed since it was read.
 */
export function retireKey(
  writer: SigningKeyWriter,
  key: StoredSigningKey,
  retentionSeconds: number,
): Promise<boolean> {
  return writer.store.updateSigningKey(key, {
    state: 'retired',
    retireAfter: writer.clock.now() + retentionSeconds * 1000,
    encryptedPrivateKey: null,
  });
}

/** Revokes a key and erases its private key. Returns false when it changed since it was read. */
export function revokeKey(writer: SigningKeyWriter, key: StoredSigningKey): Promise<boolean> {
  return writer.store.updateSigningKey(key, {
    state: 'revoked',
    revokedAt: writer.clock.now(),
    encryptedPrivateKey: null,
  });
}

export interface KeyReplacement {
  created?: string;
  promoted?: string;
}

/**
 * Gives an algorithm without a current key one, as the administration does after revoking
 * the current key. Its next key is promoted at once, however briefly it has been published,
 * because nothing could sign otherwise. Without a next key, a current key is created. Returns
 * what this call wrote, which omits what a concurrent writer did first.
 */
export async function replaceMissingCurrentKey(
  writer: SigningKeyWriter,
  keys: readonly StoredSigningKey[],
  algorithm: SigningAlgorithm,
): Promise<KeyReplacement> {
  const next = nextKey(keys, algorithm);
  if (next !== undefined) return (await promoteKey(writer, next)) ? { promoted: next.kid } : {};

  const created = await createKey(writer, keys, algorithm, 'current');
  return created === undefined ? {} : { created: created.kid };
}
