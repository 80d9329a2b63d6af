/**
 * Stands in for global table replication between two test tables: copies every item of one
 * dynalite to another, overwriting what is there. Scanning is fine for a test table.
 */
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { LOCAL_CREDENTIALS, TEST_REGION, TEST_TABLE } from './dynalite.ts';

const BATCH_SIZE = 25;

export async function replicate(fromEndpoint: string, toEndpoint: string): Promise<number> {
  const source = createDocumentClient({
    region: TEST_REGION,
    endpoint: fromEndpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  const target = createDocumentClient({
    region: TEST_REGION,
    endpoint: toEndpoint,
    credentials: LOCAL_CREDENTIALS,
  });

  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await source.send(
      new ScanCommand({ TableName: TEST_TABLE, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);

  for (let start = 0; start < items.length; start += BATCH_SIZE) {
    const batch = items.slice(start, start + BATCH_SIZE);
    await target.send(
      new BatchWriteCommand({
        RequestItems: { [TEST_TABLE]: batch.map((item) => ({ PutRequest: { Item: item } })) },
      }),
    );
  }

  source.destroy();
  target.destroy();
  return items.length;
}
