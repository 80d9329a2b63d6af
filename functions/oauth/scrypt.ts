/**
 * scrypt (RFC 7914) from node:crypto, shared by client secrets and user passwords. Each hash
 * is stored with its salt and parameters, so the parameters can be raised later without
 * invalidating existing hashes.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

export interface ScryptParameters {
  /** N, the CPU and memory cost: a power of two. */
  cost: number;
  /** r, the block size. */
  blockSize: number;
  /** p, the parallelization. */
  parallelization: number;
}

/** The stored form of a hash. `SecretHash` and `PasswordHash` have this shape. */
export interface ScryptHash extends ScryptParameters {
  algorithm: 'scrypt';
  /** base64url */
  salt: string;
  /** base64url */
  hash: string;
}

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keyLength: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

const SALT_BYTES = 16;
const HASH_BYTES = 32;

/** Hashes a secret with a fresh random salt. */
export async function hashWithScrypt(
  secret: string,
  parameters: ScryptParameters,
): Promise<ScryptHash> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveKey(secret, salt, parameters);

  return {
    algorithm: 'scrypt',
    salt: salt.toString('base64url'),
    hash: hash.toString('base64url'),
    cost: parameters.cost,
    blockSize: parameters.blockSize,
    parallelization: parameters.parallelization,
  };
}

/** Checks a secret against its stored hash with the stored parameters, in constant time. */
export async function verifyScryptHash(secret: string, stored: ScryptHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64url');
  const actual = await deriveKey(secret, Buffer.from(stored.salt, 'base64url'), stored);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function deriveKey(secret: string, salt: Buffer, parameters: ScryptParameters): Promise<Buffer> {
  const { cost, blockSize, parallelization } = parameters;
  // OpenSSL needs 128 * r * (N + p + 2) bytes, just over the default maxmem of 32 MiB already
  // at N=2^15 and r=8; twice 128 * N * r covers any p up to N - 2.
  const maxmem = 256 * cost * blockSize;
  return scryptAsync(secret, salt, HASH_BYTES, {
    N: cost,
    r: blockSize,
    p: parallelization,
    maxmem,
  });
}
