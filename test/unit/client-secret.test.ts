import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateClientSecret,
  hashClientSecret,
  verifyClientSecret,
} from '../../functions/oauth/client-secret.ts';
import type { SecretHash } from '../../functions/oauth/client.ts';

describe('generateClientSecret', () => {
  it('returns 43 characters', () => {
    const secret = generateClientSecret();

    expect(secret).toHaveLength(43);
  });

  it('returns base64url characters only', () => {
    const secret = generateClientSecret();

    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('decodes to 32 random bytes', () => {
    const secret = generateClientSecret();

    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
  });

  it('returns distinct secrets', () => {
    const secrets = new Set(Array.from({ length: 100 }, () => generateClientSecret()));

    expect(secrets.size).toBe(100);
  });
});

describe('hashClientSecret', () => {
  it('stores scrypt parameters', async () => {
    const stored = await hashClientSecret('secret');

    expect(stored.algorithm).toBe('scrypt');
    expect(stored.cost).toBe(2 ** 14);
    expect(stored.blockSize).toBe(8);
    expect(stored.parallelization).toBe(1);
  });

  it('stores 16-byte salt and 32-byte hash', async () => {
    const stored = await hashClientSecret('secret');

    expect(Buffer.from(stored.salt, 'base64url')).toHaveLength(16);
    expect(Buffer.from(stored.hash, 'base64url')).toHaveLength(32);
  });

  it('does not store the secret', async () => {
    const secret = generateClientSecret();

    const stored = await hashClientSecret(secret);

    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it('salts each hash differently', async () => {
    const first = await hashClientSecret('secret');
    const second = await hashClientSecret('secret');

    expect(first.salt).not.toBe(second.salt);
    expect(first.hash).not.toBe(second.hash);
  });
});

describe('verifyClientSecret', () => {
  it('accepts right secret', async () => {
    const secret = generateClientSecret();
    const stored = await hashClientSecret(secret);

    const matches = await verifyClientSecret(secret, stored);

    expect(matches).toBe(true);
  });

  it('rejects wrong secret', async () => {
    const stored = await hashClientSecret('right-secret');

    const matches = await verifyClientSecret('wrong-secret', stored);

    expect(matches).toBe(false);
  });

  it('rejects empty secret', async () => {
    const stored = await hashClientSecret('right-secret');

    const matches = await verifyClientSecret('', stored);

    expect(matches).toBe(false);
  });

  it('accepts non-ASCII secret', async () => {
    const stored = await hashClientSecret('pässwörd 🔑');

    const matches = await verifyClientSecret('pässwörd 🔑', stored);

    expect(matches).toBe(true);
  });

  it('uses stored cost parameter', async () => {
    const stored = await hashClientSecret('secret');

    const matches = await verifyClientSecret('secret', { ...stored, cost: 2 ** 10 });

    expect(matches).toBe(false);
  });

  it('uses stored salt', async () => {
    const stored = await hashClientSecret('secret');
    const other = await hashClientSecret('other');

    const matches = await verifyClientSecret('secret', { ...stored, salt: other.salt });

    expect(matches).toBe(false);
  });

  it('rejects hash of other length', async () => {
    const stored = await hashClientSecret('secret');
    const truncated = Buffer.from(stored.hash, 'base64url').subarray(0, 16).toString('base64url');

    const matches = await verifyClientSecret('secret', { ...stored, hash: truncated });

    expect(matches).toBe(false);
  });

  it('accepts hash with raised cost', async () => {
    const salt = randomBytes(16);
    const cost = 2 ** 15;
    const hash = scryptSync('secret', salt, 32, { N: cost, r: 8, p: 1, maxmem: 64 * 1024 ** 2 });
    const stored: SecretHash = {
      algorithm: 'scrypt',
      salt: salt.toString('base64url'),
      hash: hash.toString('base64url'),
      cost,
      blockSize: 8,
      parallelization: 1,
    };

    const matches = await verifyClientSecret('secret', stored);

    expect(matches).toBe(true);
  });
});
