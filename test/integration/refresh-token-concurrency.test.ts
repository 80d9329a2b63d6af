/**
 * Parallel refreshes of one refresh token over HTTP, against dynalite. Within the reuse grace
 * period every retry derives the same successor, so parallel requests must all get that one
 * token, and the table must end with exactly one successor.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { UserAgent, type UserCredentials } from '../support/authorization-flow.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import {
  LOCAL_CREDENTIALS,
  startTestTable,
  TEST_REGION,
  TEST_TABLE,
  type TestTable,
} from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { postToken } from '../support/token-requests.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };
const SECRET = 'web-app-secret-0123456789';
const PARALLEL_REQUESTS = 20;

let table: TestTable;
let server: TestServer;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      clientId: 'web-app',
      secret: SECRET,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      redirectUris: [REDIRECT_URI],
      scopes: ['api:read'],
      skipConsent: true,
    },
  ]);
  await createUser(table.endpoint, ALICE.username, ALICE.password);
  // The default reuse grace period of 5 seconds covers all parallel requests.
  server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
});

afterAll(async () => {
  await server?.stop();
  await table?.close();
});

const authorization = () => ({ authorization: basicAuthorization('web-app', SECRET) });

async function obtainRefreshToken(): Promise<string> {
  const { code } = await new UserAgent(server.url).obtainCode(
    { response_type: 'code', client_id: 'web-app', redirect_uri: REDIRECT_URI },
    ALICE,
  );
  const { body } = await postToken(
    server.url,
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
    authorization(),
  );
  return String(body.refresh_token);
}

async function refresh(refreshToken: string) {
  return postToken(
    server.url,
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    authorization(),
  );
}

/** Counts the stored refresh tokens of a family's generation, read straight from the table. */
async function countStoredTokens(familyId: string, generation: number): Promise<number> {
  const documents = createDocumentClient({
    region: TEST_REGION,
    endpoint: table.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  // A test table contains a few hundred items, so a handful of pages covers it.
  for (let page = 0; page < 100; page += 1) {
    const result = await documents.send(
      new ScanCommand({
        TableName: TEST_TABLE,
        FilterExpression: 'begins_with(pk, :prefix) AND familyId = :family AND generation = :generation',
        ExpressionAttributeValues: {
          ':prefix': 'REFRESH_TOKEN#',
          ':family': familyId,
          ':generation': generation,
        },
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    count += result.Count ?? 0;
    startKey = result.LastEvaluatedKey;
    if (startKey === undefined) break;
  }
  documents.destroy();
  return count;
}

describe('refresh › concurrency', () => {
  it('returns one successor to 20 parallel refreshes', async () => {
    const original = await obtainRefreshToken();

    const results = await Promise.all(
      Array.from({ length: PARALLEL_REQUESTS }, () => refresh(original)),
    );

    const statuses = results.map(({ response }) => response.status);
    const successors = new Set(results.map(({ body }) => body.refresh_token));
    expect(statuses).toEqual(Array(PARALLEL_REQUESTS).fill(200));
    expect(successors.size).toBe(1);
    expect([...successors][0]).not.toBe(original);
  });

  it('stores one successor after parallel refreshes', async () => {
    const original = await obtainRefreshToken();
    const familyId = original.split('.')[0] ?? '';
    const results = await Promise.all(
      Array.from({ length: PARALLEL_REQUESTS }, () => refresh(original)),
    );
    const successor = String(results[0]?.body.refresh_token);

    const stored = await countStoredTokens(familyId, 2);
    const next = await refresh(successor);

    expect(stored).toBe(1);
    expect(next.response.status).toBe(200);
    expect(next.body.refresh_token).not.toBe(successor);
  });
});
