/**
 * The local server's signing keys, read from its test table, so that a test can sign tokens
 * that no request can obtain, such as an expired access token.
 */
import { LocalFileKeyEncryption } from '../../functions/crypto/local-file-key-encryption.ts';
import { systemClock } from '../../functions/oauth/clock.ts';
import { SigningKeys } from '../../functions/oauth/signing-keys.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { SigningKeyRepository } from '../../functions/storage/signing-key-repository.ts';
import { LOCAL_CREDENTIALS, TEST_REGION, TEST_TABLE } from './dynalite.ts';
import { TEST_KEY_ENCRYPTION_KEY_FILE } from './local-server.ts';

export interface ServerKeys {
  signingKeys: SigningKeys;
  close(): void;
}

/**
 * Opens the signing keys of the table at `endpoint`, with no memory cache, decrypting them
 * with the key-encryption key file of the test servers.
 */
export function openServerKeys(endpoint: string): ServerKeys {
  const documents = createDocumentClient({
    region: TEST_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  const store = new SigningKeyRepository(documents, TEST_TABLE);
  const keyEncryption = LocalFileKeyEncryption.fromFile(TEST_KEY_ENCRYPTION_KEY_FILE);
  const signingKeys = new SigningKeys(store, systemClock, 0, keyEncryption);
  return { signingKeys, close: () => documents.destroy() };
}
