/**
 * Client secrets: generation, and hashing with scrypt. Only the hash is stored, with its
 * parameters beside it, so they can be raised later without invalidating existing secrets.
 */
import { randomBytes } from 'node:crypto';
import type { SecretHash } from './client.ts';
import { hashWithScrypt, verifyScryptHash } from './scrypt.ts';

/**
 * N=2^14, with r=8 and p=1 as RFC 7914 section 2 suggests: 16 MiB. Generated secrets carry 256
 * random bits, so they need less work per guess than user passwords do.
 */
const DEFAULT_PARAMETERS = { cost: 2 ** 14, blockSize: 8, parallelization: 1 };

/** Generates a client secret with 256 bits of randomness, base64url-encoded (43 characters). */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashClientSecret(secret: string): Promise<SecretHash> {
  return hashWithScrypt(secret, DEFAULT_PARAMETERS);
}

/** Checks a presented secret against its stored hash, comparing in constant time. */
export async function verifyClientSecret(secret: string, stored: SecretHash): Promise<boolean> {
  return verifyScryptHash(secret, stored);
}
