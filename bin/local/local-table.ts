/**
 * The local server's table: an embedded dynalite persisted under the data folder, or any
 * DynamoDB-compatible endpoint given in DYNAMODB_ENDPOINT. The table is created if missing.
 * Dynalite lacks UpdateTimeToLive, so TTL stays off locally; every read checks `expiresAt`.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import {
  EXPIRY_BUCKET_ATTRIBUTE,
  EXPIRY_INDEX_NAME,
} from '../../functions/storage/expiry-index.ts';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface LocalTable {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite on a free loopback port, storing its data under `dataDirectory`. A lock
 * file keeps a second local server off the same folder, because LevelDB allows one process.
 */
export async function startDynalite(dataDirectory: string): Promise<LocalTable> {
  const path = join(dataDirectory, 'dynamodb');
  try {
    await mkdir(path, { recursive: true });
  } catch (cause) {
    throw new LocalServerError(
      `DATA_DIR ${dataDirectory} cannot be used as the data folder: ${describeFsError(cause)}.`,
    );
  }
  const releaseLock = await lockDataDirectory(dataDirectory);
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error?: Error) => (error ? reject(error) : resolve()));
      });
      await releaseLock();
    },
  };
}

/** A startup failure whose message tells the user what to change; printed without a stack. */
export class LocalServerError extends Error {
  override name = 'LocalServerError';
}

/**
 * Creates `server.lock` with the process id. A lock left by a process that no longer runs is
 * taken over, so a crash does not block the next start.
 */
async function lockDataDirectory(dataDirectory: string): Promise<() => Promise<void>> {
  const lockPath = join(dataDirectory, 'server.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockPath, String(process.pid), { flag: 'wx' });
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
      const owner = Number(await readFile(lockPath, 'utf8').catch(() => ''));
      if (isRunning(owner)) {
        throw new LocalServerError(
          `The data folder ${dataDirectory} is in use by another local server (process ` +
            `${owner}). Stop it, or set DATA_DIR to another folder.`,
        );
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new LocalServerError(`The data folder ${dataDirectory} could not be locked.`);
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

function describeFsError(error: unknown): string {
  if (error instanceof Error && 'code' in error) {
    if (error.code === 'ENOTDIR' || error.code === 'EEXIST') return 'a file is in the way';
    if (error.code === 'EACCES' || error.code === 'EPERM') return 'permission denied';
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates the table with the key schema of the CDK stack unless it exists. With
 * `expiryIndex`, it also gets the index that the strong consistency mode's sweeper reads.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  { expiryIndex = false } = {},
): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return false;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }

  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        ...(expiryIndex
          ? [
              { AttributeName: EXPIRY_BUCKET_ATTRIBUTE, AttributeType: 'S' as const },
              { AttributeName: 'expiresAt', AttributeType: 'N' as const },
            ]
          : []),
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      ...(expiryIndex ? { GlobalSecondaryIndexes: [expiryIndexDefinition()] } : {}),
    }),
  );
  await waitUntilActive(client, tableName);
  return true;
}

function expiryIndexDefinition() {
  return {
    IndexName: EXPIRY_INDEX_NAME,
    KeySchema: [
      { AttributeName: EXPIRY_BUCKET_ATTRIBUTE, KeyType: 'HASH' as const },
      { AttributeName: 'expiresAt', KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'KEYS_ONLY' as const },
  };
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`The table ${tableName} did not become ACTIVE within 5 seconds.`);
}
