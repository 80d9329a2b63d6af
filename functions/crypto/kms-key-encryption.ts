/**
 * Key encryption with AWS KMS. KMS GenerateDataKey returns a fresh AES-256 data key for each
 * signing key, in plaintext and encrypted under the KMS key. The plaintext encrypts the private
 * JWK and is then discarded; the table stores only the encrypted data key. A multi-Region KMS
 * key has the same key material in every region, so each region decrypts with its own replica
 * of the key, without a cross-region call.
 */
import { StorageUnavailableError } from '../storage/errors.ts';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  type DecryptCommandOutput,
  type GenerateDataKeyCommandOutput,
} from '@aws-sdk/client-kms';
import type { JWK } from 'jose';
import type { EncryptedPrivateKey, KeyEncryption } from '../oauth/key-encryption.ts';
import { decodeCiphertext, decryptJwk, encodeCiphertext, encryptJwk } from './envelope.ts';

/** The calls that KmsKeyEncryption makes: the KMSClient of the AWS SDK, or a test double. */
export interface KmsClient {
  send(command: GenerateDataKeyCommand): Promise<GenerateDataKeyCommandOutput>;
  send(command: DecryptCommand): Promise<DecryptCommandOutput>;
}

/**
 * Returns the KMS encryption context of a signing key's data key. KMS binds it to the
 * ciphertext and records it in CloudTrail, and key policies can require it.
 */
export function signingKeyEncryptionContext(kid: string): Record<string, string> {
  return { purpose: 'oauth-signing-key', kid };
}

export class KmsKeyEncryption implements KeyEncryption {
  readonly #kms: KmsClient;
  readonly #keyId: string;

  /** `keyId` is the ARN of the KMS key, or of this region's replica of a multi-Region key. */
  constructor(kms: KmsClient, keyId: string) {
    this.#kms = kms;
    this.#keyId = keyId;
  }

  async encrypt(privateJwk: JWK, kid: string): Promise<EncryptedPrivateKey> {
    const output = await callKms('GenerateDataKey', () =>
      this.#kms.send(
        new GenerateDataKeyCommand({
          KeyId: this.#keyId,
          KeySpec: 'AES_256',
          EncryptionContext: signingKeyEncryptionContext(kid),
        }),
      ),
    );
    const { Plaintext: dataKey, CiphertextBlob: encryptedDataKey } = output;
    if (dataKey === undefined || encryptedDataKey === undefined) {
      throw new Error('KMS GenerateDataKey returned no data key.');
    }

    try {
      return {
        keyEncryption: 'kms',
        encryptedDataKey: Buffer.from(encryptedDataKey).toString('base64url'),
        ...encodeCiphertext(encryptJwk(dataKey, privateJwk, kid)),
      };
    } finally {
      dataKey.fill(0);
    }
  }

  /**
   * Decrypts with the configured key. Naming the key makes KMS refuse a data key that another
   * KMS key encrypted, and lets a region decrypt with its replica of a multi-Region key.
   */
  async decrypt(encrypted: EncryptedPrivateKey, kid: string): Promise<JWK> {
    if (encrypted.keyEncryption !== 'kms') {
      throw new Error(
        `The private key of signing key ${kid} was encrypted with ${encrypted.keyEncryption}, ` +
          'but this server decrypts with KMS (KEY_ENCRYPTION_KMS_KEY_ID).',
      );
    }
    const { Plaintext: dataKey } = await callKms('Decrypt', () =>
      this.#kms.send(
        new DecryptCommand({
          KeyId: this.#keyId,
          CiphertextBlob: Buffer.from(encrypted.encryptedDataKey, 'base64url'),
          EncryptionContext: signingKeyEncryptionContext(kid),
        }),
      ),
    );
    if (dataKey === undefined) throw new Error('KMS Decrypt returned no plaintext.');

    try {
      return decryptJwk(dataKey, decodeCiphertext(encrypted), kid);
    } finally {
      dataKey.fill(0);
    }
  }
}

/** KMS errors that report wrong stored data, which no retry can fix. */
const DATA_ERRORS = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

/**
 * Runs a KMS call, translating an outage or throttling into a StorageUnavailableError, so that
 * a request that needs a key while KMS fails gets 503 with Retry-After, as a table fault does.
 */
async function callKms<Result>(operation: string, call: () => Promise<Result>): Promise<Result> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Error && DATA_ERRORS.has(error.name)) throw error;
    throw new StorageUnavailableError(operation, error, 'KMS');
  }
}
