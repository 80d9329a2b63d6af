/**
 * The data-key half of envelope encryption, shared by the KMS and the local-file key
 * encryption: AES-256-GCM with a random 96-bit nonce and the kid as authenticated data.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';

/** The length of an AES-256 key, in bytes. */
export const DATA_KEY_BYTES = 32;

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface AesGcmCiphertext {
  ciphertext: Buffer;
  iv: Buffer;
  tag: Buffer;
}

/** Encrypts with AES-256-GCM under `key`, authenticating `associatedData` as well. */
export function encryptAesGcm(
  key: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): AesGcmCiphertext {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, iv, tag: cipher.getAuthTag() };
}

/**
 * Decrypts an AES-256-GCM ciphertext. Throws when the key, the ciphertext, the tag or the
 * associated data differ from those of the encryption.
 */
export function decryptAesGcm(
  key: Uint8Array,
  { ciphertext, iv, tag }: AesGcmCiphertext,
  associatedData: Uint8Array,
): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

/** Returns the authenticated data that binds a signing key's ciphertexts to its kid. */
export function signingKeyAssociatedData(kid: string): Buffer {
  return Buffer.from(`oauth-signing-key:${kid}`, 'utf8');
}

/** Encrypts the JSON of a private JWK under a data key. */
export function encryptJwk(dataKey: Uint8Array, jwk: JWK, kid: string): AesGcmCiphertext {
  const plaintext = Buffer.from(JSON.stringify(jwk), 'utf8');
  try {
    return encryptAesGcm(dataKey, plaintext, signingKeyAssociatedData(kid));
  } finally {
    plaintext.fill(0);
  }
}

/** Decrypts a private JWK that encryptJwk encrypted. */
export function decryptJwk(dataKey: Uint8Array, sealed: AesGcmCiphertext, kid: string): JWK {
  const plaintext = decryptAesGcm(dataKey, sealed, signingKeyAssociatedData(kid));
  try {
    return JSON.parse(plaintext.toString('utf8')) as JWK;
  } finally {
    plaintext.fill(0);
  }
}

/** Base64url-encodes the parts of a ciphertext for the table. */
export function encodeCiphertext(sealed: AesGcmCiphertext) {
  return {
    ciphertext: sealed.ciphertext.toString('base64url'),
    iv: sealed.iv.toString('base64url'),
    tag: sealed.tag.toString('base64url'),
  };
}

/** Decodes the parts that encodeCiphertext encoded. */
export function decodeCiphertext(encoded: { ciphertext: string; iv: string; tag: string }) {
  return {
    ciphertext: Buffer.from(encoded.ciphertext, 'base64url'),
    iv: Buffer.from(encoded.iv, 'base64url'),
    tag: Buffer.from(encoded.tag, 'base64url'),
  };
}
