/**
 * The strong consistency mode's expiry index and sweeper, on dynalite with the index: writes
 * tag expiring items with their bucket, and a sweep deletes expired items only.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable, startDynalite, type LocalTable } from '../../bin/local/local-table.ts';
import type { Clock } from '../../functions/oauth/clock.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { ExpiredItemSweeper } from '../../functions/storage/expired-item-sweeper.ts';
import { expiryBucket } from '../../functions/storage/expiry-index.ts';
import { LoginAttemptRepository } from '../../functions/storage/login-attempt-repository.ts';
import { RefreshTokenRepository } from '../../functions/storage/refresh-token-repository.ts';
import { SessionRepository } from '../../functions/storage/session-repository.ts';
import { LOCAL_CREDENTIALS, TEST_REGION, TEST_TABLE } from '../support/dynalite.ts';

/** Half past an hour, so that NOW - 60 falls into the same hour. */
const NOW = 1_800_001_800;
const clock: Clock = { now: () => NOW * 1000 };

let folder: string;
let table: LocalTable;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'oauth-sweeper-'));
  table = await startDynalite(folder);
  const client = new DynamoDBClient({
    region: TEST_REGION,
    endpoint: table.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  await ensureTable(client, TEST_TABLE, { expiryIndex: true });
  client.destroy();
  documents = createDocumentClient({
    region: TEST_REGION,
    endpoint: table.endpoint,
    credentials: LOCAL_CREDENTIALS,
    expiryIndex: true,
  });
});

afterAll(async () => {
  documents?.destroy();
  await table?.close();
  await rm(folder, { recursive: true, force: true });
});

async function readItem(pk: string, sk: string) {
  const { Item: item } = await documents.send(
    new GetCommand({ TableName: TEST_TABLE, Key: { pk, sk } }),
  );
  return item;
}

function session(hash: string, expiresAt: number) {
  return { sessionHash: hash, userId: 'user-1', authTime: NOW - 100, amr: ['pwd'], expiresAt };
}

describe('expiry index', () => {
  it('tags a put item with its bucket', async () => {
    await new SessionRepository(documents, TEST_TABLE, clock).createSession(session('tagged', NOW + 50));

    const item = await readItem('SESSION#tagged', 'SESSION');

    expect(item?.expiryBucket).toBe(expiryBucket(NOW + 50, 'SESSION#tagged'));
  });

  it('tags an updated item with its bucket', async () => {
    const attempts = new LoginAttemptRepository(documents, TEST_TABLE, clock);

    await attempts.recordFailure('ip#192.0.2.1', NOW - 900, NOW + 60);

    const item = await readItem('LOGIN_FAILURES#ip#192.0.2.1', String(NOW - 900));
    expect(item?.expiryBucket).toBe(expiryBucket(NOW + 60, 'LOGIN_FAILURES#ip#192.0.2.1'));
  });

  it('tags a tombstone written with if_not_exists', async () => {
    const refresh = new RefreshTokenRepository(documents, TEST_TABLE, clock);

    await refresh.revokeFamily('tombstone-family', NOW);

    const item = await readItem('REFRESH_FAMILY#tombstone-family', 'FAMILY');
    expect(item?.expiryBucket).toEqual(expect.stringMatching(/^\d+#\d$/));
  });
});

describe('expired item sweeper', () => {
  it('deletes expired items only', async () => {
    const sessions = new SessionRepository(documents, TEST_TABLE, clock);
    await sessions.createSession(session('old-1', NOW - 7_200));
    await sessions.createSession(session('old-2', NOW - 10));
    await sessions.createSession(session('live', NOW + 7_200));
    const sweeper = new ExpiredItemSweeper(documents, TEST_TABLE, clock, { pauseMilliseconds: 0 });

    const result = await sweeper.sweep();

    expect(result.deleted).toBeGreaterThanOrEqual(2);
    expect(result.truncated).toBe(false);
    expect(await readItem('SESSION#old-1', 'SESSION')).toBeUndefined();
    expect(await readItem('SESSION#old-2', 'SESSION')).toBeUndefined();
    expect(await readItem('SESSION#live', 'SESSION')).toBeDefined();
  });

  it('stops at the delete budget', async () => {
    const sessions = new SessionRepository(documents, TEST_TABLE, clock);
    for (let index = 0; index < 5; index++) {
      await sessions.createSession(session(`budget-${index}`, NOW - 60));
    }
    const sweeper = new ExpiredItemSweeper(documents, TEST_TABLE, clock, {
      pauseMilliseconds: 0,
      maxDeletes: 2,
      batchSize: 1,
    });

    const first = await sweeper.sweep();
    const second = await new ExpiredItemSweeper(documents, TEST_TABLE, clock, {
      pauseMilliseconds: 0,
    }).sweep();

    expect(first.deleted).toBe(2);
    expect(first.truncated).toBe(true);
    expect(second.deleted).toBe(3);
  });
});
