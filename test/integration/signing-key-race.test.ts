/**
 * Concurrent cold starts: several fresh processes ask an empty table for the current signing
 * key at the same moment. The conditional write lets exactly one of them create it.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKeyEncryptionKeyFile } from '../../functions/crypto/local-file-key-encryption.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import {
  LOCAL_CREDENTIALS,
  startTestTable,
  TEST_REGION,
  TEST_TABLE,
  type TestTable,
} from '../support/dynalite.ts';
import { TEST_KEY_ENCRYPTION_KEY_FILE } from '../support/local-server.ts';

const run = promisify(execFile);
const script = join(import.meta.dirname, '..', 'support', 'first-signing-key.ts');
const PROCESSES = 6;

let table: TestTable;

beforeAll(async () => {
  table = await startTestTable();
  await ensureKeyEncryptionKeyFile(TEST_KEY_ENCRYPTION_KEY_FILE);
});

afterAll(async () => {
  await table?.close();
});

describe('first signing key', () => {
  it('is created once by racing processes', async () => {
    const startAt = String(Date.now() + 1500);
    const environment = {
      ...process.env,
      KEY_ENCRYPTION_KEY_FILE: TEST_KEY_ENCRYPTION_KEY_FILE,
      DYNAMODB_ENDPOINT: table.endpoint,
      TABLE_NAME: TEST_TABLE,
      START_AT: startAt,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    };

    const results = await Promise.all(
      Array.from({ length: PROCESSES }, () =>
        run(process.execPath, [script], { env: environment, timeout: 20_000 }),
      ),
    );

    const kids = results.map((result) => result.stdout.trim());
    expect(new Set(kids).size).toBe(1);
    expect(kids[0]).toMatch(/^[A-Za-z0-9_-]{16}$/);

    const documents = createDocumentClient({
      region: TEST_REGION,
      endpoint: table.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    const stored = await documents.send(
      new QueryCommand({
        TableName: TEST_TABLE,
        KeyConditionExpression: 'pk = :partition',
        ExpressionAttributeValues: { ':partition': 'SIGNING_KEY' },
      }),
    );
    documents.destroy();
    expect(stored.Items).toHaveLength(1);
    expect(stored.Items?.[0]?.kid).toBe(kids[0]);
    expect(stored.Items?.[0]?.state).toBe('current');
    expect(stored.Items?.[0]?.encryptedPrivateKey?.keyEncryption).toBe('local-file');
    expect(stored.Items?.[0]).not.toHaveProperty('privateJwk');
  });
});
