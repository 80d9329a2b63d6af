/**
 * Envelope encryption of the private signing keys that the table stores. Each signing key gets
 * its own AES-256 data key. The data key encrypts the private JWK with AES-256-GCM, and a
 * key-encryption key encrypts the data key: a KMS key on AWS, a key file on a laptop. The
 * implementations live in `functions/crypto/`, so this folder stays free of the AWS SDK.
 */
import type { JWK } from 'jose';

/** The kind of key that encrypted the data key of an EncryptedPrivateKey. */
export type KeyEncryptionKind = 'kms' | 'local-file';

/** A private JWK as the table stores it. Every binary member is base64url. */
export interface EncryptedPrivateKey {
  keyEncryption: KeyEncryptionKind;
  /** The data key, encrypted by KMS or by the local key-encryption key. */
  encryptedDataKey: string;
  /** The JSON of the private JWK, encrypted with AES-256-GCM under the data key. */
  ciphertext: string;
  /** The 12-byte GCM nonce. */
  iv: string;
  /** The 16-byte GCM authentication tag. */
  tag: string;
}

/**
 * Encrypts and decrypts private JWKs. The kid is bound to the ciphertext as authenticated
 * data, so a ciphertext copied onto another key's item fails to decrypt.
 */
export interface KeyEncryption {
  encrypt(privateJwk: JWK, kid: string): Promise<EncryptedPrivateKey>;
  decrypt(encrypted: EncryptedPrivateKey, kid: string): Promise<JWK>;
}
