/**
 * The local server's signing keys, read from its test table, so that a test can sign tokens
 * that no request can obtain, such as an expired access token.
 */
import { systemClock } from '../../functions/oauth/clock.ts';
import { SigningKeys } from '../../functions/oauth/signing-keys.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { SigningKeyRepository } from '../../functions/storage/signing-key-repository.ts';
import { LOCAL_CREDENTIALS, TEST_REGION, TEST_TABLE } from './dynalite.ts';

export interface ServerKeys {
  signingKeys: SigningKeys;
  close(): void;
}

/** Opens the signing keys of the table at `endpoint`, with no memory cache. */
export function openServerKeys(endpoint: string): ServerKeys {
  const documents = createDocumentClient({
    region: TEST_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  const store = new SigningKeyRepository(documents, TEST_TABLE);
  const signingKeys = new SigningKeys(store, systemClock, 0);
  return { signingKeys, close: () => documents.destroy() };
}
