/**
 * A fresh process that asks for the current signing key, as a cold-started function does,
 * and prints its kid. It waits until START_AT (milliseconds since the epoch), so that
 * several processes reach the table together. KEY_ENCRYPTION_KEY_FILE names the file of the
 * key-encryption key, which must exist.
 */
import { LocalFileKeyEncryption } from '../../functions/crypto/local-file-key-encryption.ts';
import { systemClock } from '../../functions/oauth/clock.ts';
import { SigningKeys } from '../../functions/oauth/signing-keys.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { SigningKeyRepository } from '../../functions/storage/signing-key-repository.ts';

const endpoint = process.env.DYNAMODB_ENDPOINT;
const tableName = process.env.TABLE_NAME;
const keyFile = process.env.KEY_ENCRYPTION_KEY_FILE;
if (!endpoint || !tableName || !keyFile) {
  throw new Error('DYNAMODB_ENDPOINT, TABLE_NAME and KEY_ENCRYPTION_KEY_FILE must be set');
}

const documents = createDocumentClient({
  region: 'us-east-1',
  endpoint,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const signingKeys = new SigningKeys(
  new SigningKeyRepository(documents, tableName),
  systemClock,
  60,
  LocalFileKeyEncryption.fromFile(keyFile),
);

const startAt = Number(process.env.START_AT ?? 0);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));

const key = await signingKeys.current();
process.stdout.write(`${key.kid}\n`);
documents.destroy();
