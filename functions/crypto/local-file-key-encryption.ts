/**
 * Key encryption for the local server: a 32-byte key-encryption key in a file of the data
 * folder wraps each signing key's data key with AES-256-GCM. The file is as secret as the
 * table, because anyone who can read both can sign tokens.
 */
import type { JWK } from 'jose';
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EncryptedPrivateKey, KeyEncryption } from '../oauth/key-encryption.ts';
import {
  DATA_KEY_BYTES,
  decodeCiphertext,
  decryptAesGcm,
  decryptJwk,
  encodeCiphertext,
  encryptAesGcm,
  encryptJwk,
  signingKeyAssociatedData,
} from './envelope.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class LocalFileKeyEncryption implements KeyEncryption {
  readonly #loadKey: () => Promise<Uint8Array>;
  #key: Promise<Uint8Array> | undefined;

  private constructor(loadKey: () => Promise<Uint8Array>) {
    this.#loadKey = loadKey;
  }

  /** Reads the key-encryption key from `path` on first use. */
  static fromFile(path: string): LocalFileKeyEncryption {
    return new LocalFileKeyEncryption(() => readKeyFile(path));
  }

  /** Uses a key-encryption key held in memory, as unit tests do. */
  static withKey(key: Uint8Array): LocalFileKeyEncryption {
    if (key.length !== DATA_KEY_BYTES) {
      throw new Error(`A key-encryption key has ${DATA_KEY_BYTES} bytes, not ${key.length}.`);
    }
    return new LocalFileKeyEncryption(async () => key);
  }

  async encrypt(privateJwk: JWK, kid: string): Promise<EncryptedPrivateKey> {
    const keyEncryptionKey = await this.#keyEncryptionKey();
    const dataKey = randomBytes(DATA_KEY_BYTES);
    try {
      const wrapped = encryptAesGcm(keyEncryptionKey, dataKey, signingKeyAssociatedData(kid));
      return {
        keyEncryption: 'local-file',
        encryptedDataKey: Buffer.concat([wrapped.iv, wrapped.tag, wrapped.ciphertext]).toString(
          'base64url',
        ),
        ...encodeCiphertext(encryptJwk(dataKey, privateJwk, kid)),
      };
    } finally {
      dataKey.fill(0);
    }
  }

  async decrypt(encrypted: EncryptedPrivateKey, kid: string): Promise<JWK> {
    if (encrypted.keyEncryption !== 'local-file') {
      throw new Error(
        `The private key of signing key ${kid} was encrypted with ${encrypted.keyEncryption}, ` +
          'but this server has only a local key-encryption key file (KEY_ENCRYPTION_KEY_FILE).',
      );
    }
    const keyEncryptionKey = await this.#keyEncryptionKey();
    const wrapped = Buffer.from(encrypted.encryptedDataKey, 'base64url');
    const dataKey = decryptAesGcm(
      keyEncryptionKey,
      {
        iv: wrapped.subarray(0, IV_BYTES),
        tag: wrapped.subarray(IV_BYTES, IV_BYTES + TAG_BYTES),
        ciphertext: wrapped.subarray(IV_BYTES + TAG_BYTES),
      },
      signingKeyAssociatedData(kid),
    );
    try {
      return decryptJwk(dataKey, decodeCiphertext(encrypted), kid);
    } finally {
      dataKey.fill(0);
    }
  }

  #keyEncryptionKey(): Promise<Uint8Array> {
    if (this.#key === undefined) {
      const loading = this.#loadKey();
      this.#key = loading;
      // A failed read is not kept: the next call reads the file again.
      loading.catch(() => {
        if (this.#key === loading) this.#key = undefined;
      });
    }
    return this.#key;
  }
}

async function readKeyFile(path: string): Promise<Uint8Array> {
  let key: Buffer;
  try {
    key = await readFile(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `The key-encryption key file ${path} (KEY_ENCRYPTION_KEY_FILE) cannot be read: ${reason}. ` +
        'The local server creates it on its first start.',
      { cause: error },
    );
  }
  if (key.length !== DATA_KEY_BYTES) {
    throw new Error(
      `The key-encryption key file ${path} must contain exactly ${DATA_KEY_BYTES} bytes, ` +
        `but has ${key.length}.`,
    );
  }
  return key;
}

/**
 * Creates a key-encryption key file of 32 random bytes with mode 0600, unless the file exists.
 * Concurrent callers agree on one key: each writes a temporary file and links it into place,
 * and link() fails for all but the first. Returns whether this call created the file.
 */
export async function ensureKeyEncryptionKeyFile(path: string): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, randomBytes(DATA_KEY_BYTES), { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}
