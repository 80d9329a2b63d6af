/**
 * User passwords, hashed with scrypt. A password is normalized to Unicode NFKC before
 * hashing, as NIST SP 800-63B section 5.1.1.2 recommends, so that the composed and decomposed
 * forms of the same text, which different keyboards and systems produce, both match.
 */
import { hashWithScrypt, verifyScryptHash, type ScryptParameters } from './scrypt.ts';
import type { PasswordHash } from './users.ts';

/**
 * r=8 and p=1 as RFC 7914 section 2 suggests, and the largest N that stays near 100 ms. In
 * four runs of bench/scrypt.ts on a 2-core AMD EPYC with Node 24, N=2^15 (32 MiB) took 90 to
 * 112 ms, median of 7 each. N=2^14 took 41 to 53 ms and N=2^16 took 176 to 212 ms.
 */
// NOTE: Lambda gives a function with 1,769 MB the equivalent of one vCPU (AWS Lambda guide,
// "Configuring function memory"), so at 512 MB a hash takes an estimated 330 ms, unmeasured.
export const PASSWORD_PARAMETERS: ScryptParameters = {
  cost: 2 ** 15,
  blockSize: 8,
  parallelization: 1,
};

/**
 * The hash that an unknown username is checked against. It matches no password in practice,
 * because its 32 zero bytes would need a full scrypt preimage.
 */
export const MISSING_USER_HASH: PasswordHash = {
  algorithm: 'scrypt',
  salt: Buffer.alloc(16).toString('base64url'),
  hash: Buffer.alloc(32).toString('base64url'),
  ...PASSWORD_PARAMETERS,
};

export async function hashPassword(password: string): Promise<PasswordHash> {
  return hashWithScrypt(password.normalize('NFKC'), PASSWORD_PARAMETERS);
}

/** Checks a password against its stored hash, comparing in constant time. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  return verifyScryptHash(password.normalize('NFKC'), stored);
}

/**
 * Runs the same scrypt work as `verifyPassword` and returns false, so that a login with an
 * unknown username takes as long as one with a wrong password.
 */
// NOTE: the times match only for users hashed with the current PASSWORD_PARAMETERS; a user
// whose stored hash has other parameters takes a different time.
export async function verifyPasswordOfMissingUser(password: string): Promise<false> {
  await verifyPassword(password, MISSING_USER_HASH);
  return false;
}
