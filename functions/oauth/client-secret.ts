/**
 * Client secrets: generation, and hashing with scrypt from node:crypto. Only the hash is
 * stored. The parameters are stored beside each hash, so they can be raised later without
 * invalidating existing secrets.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { SecretHash } from './client.ts';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keyLength: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** scrypt's N=2^14, r=8, p=1, the interactive-login parameters of RFC 7914: ~16 MiB, ~30 ms. */
const DEFAULT_PARAMETERS = { cost: 2 ** 14, blockSize: 8, parallelization: 1 };
const HASH_BYTES = 32;

/** Generates a client secret with 256 bits of randomness, base64url-encoded (43 characters). */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashClientSecret(secret: string): Promise<SecretHash> {
  const salt = randomBytes(16);
  const hash = await deriveKey(secret, salt, DEFAULT_PARAMETERS);

  return {
    algorithm: 'scrypt',
    salt: salt.toString('base64url'),
    hash: hash.toString('base64url'),
    ...DEFAULT_PARAMETERS,
  };
}

/** Checks a presented secret against its stored hash, comparing in constant time. */
export async function verifyClientSecret(secret: string, stored: SecretHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64url');
  const actual = await deriveKey(secret, Buffer.from(stored.salt, 'base64url'), stored);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function deriveKey(
  secret: string,
  salt: Buffer,
  parameters: Pick<SecretHash, 'cost' | 'blockSize' | 'parallelization'>,
): Promise<Buffer> {
  const { cost, blockSize, parallelization } = parameters;
  // scrypt needs 128 * N * r bytes; the default maxmem of 32 MiB would cap raised parameters.
  const maxmem = 256 * cost * blockSize;
  return scryptAsync(secret, salt, HASH_BYTES, {
    N: cost,
    r: blockSize,
    p: parallelization,
    maxmem,
  });
}
