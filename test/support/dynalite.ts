/** A fresh in-memory dynalite on a free loopback port, with the server's table created. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable, startDynalite } from '../../bin/local/local-table.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_TABLE = 'oauth-test';
export const TEST_REGION = 'us-east-1';

/** Fixed local credentials, so the SDK never searches a profile or a metadata service. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface TestTable {
  endpoint: string;
  close(): Promise<void>;
}

export async function startTestTable(): Promise<TestTable> {
  const folder = await mkdtemp(join(tmpdir(), 'oauth-dynalite-'));
  const dynalite = await startDynalite(folder);
  const client = new DynamoDBClient({
    region: TEST_REGION,
    endpoint: dynalite.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  await ensureTable(client, TEST_TABLE);
  client.destroy();

  return {
    endpoint: dynalite.endpoint,
    close: async () => {
      await dynalite.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
