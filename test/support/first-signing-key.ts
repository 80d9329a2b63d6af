/**
 * A fresh process that asks for the current signing key, as a cold-started function does,
 * and prints its kid. It waits until START_AT (milliseconds since the epoch), so that
 * several processes reach the table together.
 */
import { systemClock } from '../../functions/oauth/clock.ts';
import { SigningKeys } from '../../functions/oauth/signing-keys.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { SigningKeyRepository } from '../../functions/storage/signing-key-repository.ts';

const endpoint = process.env.DYNAMODB_ENDPOINT;
const tableName = process.env.TABLE_NAME;
if (!endpoint || !tableName) throw new Error('DYNAMODB_ENDPOINT and TABLE_NAME must be set');

const documents = createDocumentClient({
  region: 'us-east-1',
  endpoint,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const signingKeys = new SigningKeys(
  new SigningKeyRepository(documents, tableName),
  systemClock,
  60,
);

const startAt = Number(process.env.START_AT ?? 0);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));

const key = await signingKeys.current();
process.stdout.write(`${key.kid}\n`);
documents.destroy();
