/** The key encryption that the configuration selects: KMS on AWS, a key file locally. */
import { KMSClient } from '@aws-sdk/client-kms';
import { ConfigurationError, type KeyEncryptionSettings } from '../config.ts';
import type { EncryptedPrivateKey, KeyEncryption } from '../oauth/key-encryption.ts';
import { KmsKeyEncryption } from './kms-key-encryption.ts';
import { LocalFileKeyEncryption } from './local-file-key-encryption.ts';

/** Bounds on a hanging KMS call, as for DynamoDB: a request fails within a few seconds. */
const KMS_CONNECTION_TIMEOUT_MILLISECONDS = 1_000;
const KMS_REQUEST_TIMEOUT_MILLISECONDS = 2_000;

/**
 * Creates the configured key encryption without I/O. With no setting, every use throws, so
 * that only what needs a private key fails: publishing and verifying with existing keys, and
 * signing with keys stored unencrypted by older versions, keep working.
 */
export function createKeyEncryption(
  settings: KeyEncryptionSettings | undefined,
  region: string,
): KeyEncryption {
  if (settings === undefined) return new MissingKeyEncryption();
  if (settings.kind === 'local-file') return LocalFileKeyEncryption.fromFile(settings.path);

  const kms = new KMSClient({
    region,
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: KMS_CONNECTION_TIMEOUT_MILLISECONDS,
      requestTimeout: KMS_REQUEST_TIMEOUT_MILLISECONDS,
    },
  });
  return new KmsKeyEncryption(kms, settings.keyId);
}

class MissingKeyEncryption implements KeyEncryption {
  async encrypt(): Promise<EncryptedPrivateKey> {
    throw missingSetting();
  }

  async decrypt(): Promise<never> {
    throw missingSetting();
  }
}

function missingSetting(): ConfigurationError {
  return new ConfigurationError(
    'Private signing keys cannot be encrypted or decrypted: set KEY_ENCRYPTION_KMS_KEY_ID to ' +
      'the ARN of a KMS key (on AWS) or KEY_ENCRYPTION_KEY_FILE to a 32-byte key file.',
  );
}
