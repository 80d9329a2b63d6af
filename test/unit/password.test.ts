import { describe, expect, it } from 'vitest';
import {
  hashPassword,
  MISSING_USER_HASH,
  verifyPassword,
  verifyPasswordOfMissingUser,
} from '../../functions/oauth/password.ts';

describe('hashPassword', () => {
  it('stores scrypt parameters', async () => {
    const stored = await hashPassword('correct horse');

    expect(stored.algorithm).toBe('scrypt');
    expect(stored.cost).toBe(2 ** 15);
    expect(stored.blockSize).toBe(8);
    expect(stored.parallelization).toBe(1);
  });

  it('stores 16-byte salt and 32-byte hash', async () => {
    const stored = await hashPassword('correct horse');

    expect(Buffer.from(stored.salt, 'base64url')).toHaveLength(16);
    expect(Buffer.from(stored.hash, 'base64url')).toHaveLength(32);
  });

  it('does not store the password', async () => {
    const stored = await hashPassword('correct horse battery staple');

    expect(JSON.stringify(stored)).not.toContain('correct horse');
  });

  it('salts each hash differently', async () => {
    const first = await hashPassword('correct horse');
    const second = await hashPassword('correct horse');

    expect(first.salt).not.toBe(second.salt);
    expect(first.hash).not.toBe(second.hash);
  });
});

describe('verifyPassword', () => {
  it('accepts right password', async () => {
    const stored = await hashPassword('correct horse');

    const matches = await verifyPassword('correct horse', stored);

    expect(matches).toBe(true);
  });

  it('rejects wrong password', async () => {
    const stored = await hashPassword('correct horse');

    const matches = await verifyPassword('correct horsf', stored);

    expect(matches).toBe(false);
  });

  it('rejects empty password', async () => {
    const stored = await hashPassword('correct horse');

    const matches = await verifyPassword('', stored);

    expect(matches).toBe(false);
  });

  it('rejects password of other case', async () => {
    const stored = await hashPassword('correct horse');

    const matches = await verifyPassword('Correct horse', stored);

    expect(matches).toBe(false);
  });

  it('accepts decomposed form of password', async () => {
    const composed = 'ma\u00f1ana';
    const decomposed = 'man\u0303ana';
    const stored = await hashPassword(composed);

    const matches = await verifyPassword(decomposed, stored);

    expect(matches).toBe(true);
  });

  it('uses stored salt', async () => {
    const stored = await hashPassword('correct horse');
    const other = await hashPassword('correct horse');

    const matches = await verifyPassword('correct horse', { ...stored, salt: other.salt });

    expect(matches).toBe(false);
  });

  it('uses stored cost parameter', async () => {
    const stored = await hashPassword('correct horse');

    const matches = await verifyPassword('correct horse', { ...stored, cost: 2 ** 14 });

    expect(matches).toBe(false);
  });
});

describe('verifyPasswordOfMissingUser', () => {
  it('returns false', async () => {
    const matches = await verifyPasswordOfMissingUser('correct horse');

    expect(matches).toBe(false);
  });

  it('returns false for empty password', async () => {
    const matches = await verifyPasswordOfMissingUser('');

    expect(matches).toBe(false);
  });

  // Equal work, rather than equal measured time, which a shared CPU makes flaky.
  it('checks against current parameters', async () => {
    const stored = await hashPassword('correct horse');

    expect(MISSING_USER_HASH.cost).toBe(stored.cost);
    expect(MISSING_USER_HASH.blockSize).toBe(stored.blockSize);
    expect(MISSING_USER_HASH.parallelization).toBe(stored.parallelization);
    expect(Buffer.from(MISSING_USER_HASH.hash, 'base64url')).toHaveLength(32);
  });
});

