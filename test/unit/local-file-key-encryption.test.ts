/** LocalFileKeyEncryption with real key files in a temporary folder. */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureKeyEncryptionKeyFile,
  LocalFileKeyEncryption,
} from '../../functions/crypto/local-file-key-encryption.ts';
import { generateKeyPairJwks } from '../../functions/oauth/signing-key-lifecycle.ts';
import { rejectionOf } from './support.ts';

let folder: string;
let fileCount = 0;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'oauth-key-encryption-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function newKeyFile(): Promise<string> {
  fileCount += 1;
  const path = join(folder, `data-${fileCount}`, 'key-encryption-key');
  await ensureKeyEncryptionKeyFile(path);
  return path;
}

describe('ensureKeyEncryptionKeyFile', () => {
  it('creates 32 bytes readable by owner only', async () => {
    const path = join(folder, 'created', 'key-encryption-key');

    const created = await ensureKeyEncryptionKeyFile(path);

    expect(created).toBe(true);
    expect(await readFile(path)).toHaveLength(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('keeps existing file', async () => {
    const path = await newKeyFile();
    const before = await readFile(path);

    const created = await ensureKeyEncryptionKeyFile(path);

    expect(created).toBe(false);
    expect(await readFile(path)).toEqual(before);
  });

  it('creates one key under race', async () => {
    const path = join(folder, 'raced', 'key-encryption-key');

    const results = await Promise.all(
      Array.from({ length: 10 }, () => ensureKeyEncryptionKeyFile(path)),
    );

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await readFile(path)).toHaveLength(32);
  });
});

describe('LocalFileKeyEncryption', () => {
  it('decrypts what it encrypted', async () => {
    const encryption = LocalFileKeyEncryption.fromFile(await newKeyFile());
    const { kid, privateJwk } = await generateKeyPairJwks('EdDSA');

    const encrypted = await encryption.encrypt(privateJwk, kid);
    const decrypted = await encryption.decrypt(encrypted, kid);

    expect(decrypted).toEqual(privateJwk);
    expect(encrypted.keyEncryption).toBe('local-file');
    expect(JSON.stringify(encrypted)).not.toContain(String(privateJwk.d));
  });

  it('wraps fresh data key per key', async () => {
    const encryption = LocalFileKeyEncryption.fromFile(await newKeyFile());
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');

    const first = await encryption.encrypt(privateJwk, kid);
    const second = await encryption.encrypt(privateJwk, kid);

    expect(first.encryptedDataKey).not.toBe(second.encryptedDataKey);
    expect(first.ciphertext).not.toBe(second.ciphertext);
  });

  it('decrypts with same file in new instance', async () => {
    const path = await newKeyFile();
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');
    const encrypted = await LocalFileKeyEncryption.fromFile(path).encrypt(privateJwk, kid);

    const decrypted = await LocalFileKeyEncryption.fromFile(path).decrypt(encrypted, kid);

    expect(decrypted).toEqual(privateJwk);
  });

  it('rejects another key file', async () => {
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');
    const encrypted = await LocalFileKeyEncryption.fromFile(await newKeyFile()).encrypt(
      privateJwk,
      kid,
    );

    const other = LocalFileKeyEncryption.fromFile(await newKeyFile());
    const failure = await rejectionOf(other.decrypt(encrypted, kid));

    expect(failure).toHaveProperty('message', 'Unsupported state or unable to authenticate data');
  });

  it('rejects ciphertext of another kid', async () => {
    const encryption = LocalFileKeyEncryption.fromFile(await newKeyFile());
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');
    const encrypted = await encryption.encrypt(privateJwk, kid);

    const failure = await rejectionOf(encryption.decrypt(encrypted, 'another-kid'));

    expect(failure).toHaveProperty('message', 'Unsupported state or unable to authenticate data');
  });

  it('rejects KMS-encrypted key', async () => {
    const encryption = LocalFileKeyEncryption.fromFile(await newKeyFile());
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');
    const encrypted = await encryption.encrypt(privateJwk, kid);

    const failure = await rejectionOf(
      encryption.decrypt({ ...encrypted, keyEncryption: 'kms' }, kid),
    );

    expect(failure).toHaveProperty(
      'message',
      `The private key of signing key ${kid} was encrypted with kms, but this server has only ` +
        'a local key-encryption key file (KEY_ENCRYPTION_KEY_FILE).',
    );
  });

  it('names missing key file', async () => {
    const path = join(folder, 'missing', 'key-encryption-key');
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');

    const encryption = LocalFileKeyEncryption.fromFile(path);
    const failure = await rejectionOf(encryption.encrypt(privateJwk, kid));

    expect(failure).toHaveProperty(
      'message',
      expect.stringContaining(`The key-encryption key file ${path} (KEY_ENCRYPTION_KEY_FILE)`),
    );
  });

  it('rejects key file of wrong size', async () => {
    const path = join(folder, 'short-key');
    await writeFile(path, Buffer.alloc(16));
    await chmod(path, 0o600);
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');

    const encryption = LocalFileKeyEncryption.fromFile(path);
    const failure = await rejectionOf(encryption.encrypt(privateJwk, kid));

    expect(failure).toHaveProperty(
      'message',
      `The key-encryption key file ${path} must contain exactly 32 bytes, but has 16.`,
    );
  });

  it('reads key file again after failure', async () => {
    const path = join(folder, 'late', 'key-encryption-key');
    const encryption = LocalFileKeyEncryption.fromFile(path);
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');
    await rejectionOf(encryption.encrypt(privateJwk, kid));
    await ensureKeyEncryptionKeyFile(path);

    const encrypted = await encryption.encrypt(privateJwk, kid);

    expect(await encryption.decrypt(encrypted, kid)).toEqual(privateJwk);
  });
});
