/**
 * A redemption whose write DynamoDB applied but whose response was lost: the same request,
 * retried by the SDK or by the client after a 503, must redeem again until its tokens are
 * marked issued, while another request with the same code is a replay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodeRedemption } from '../../functions/oauth/grant-records.ts';
import { AuthorizationCodeRepository } from '../../functions/storage/authorization-code-repository.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import {
  LOCAL_CREDENTIALS,
  startTestTable,
  TEST_REGION,
  TEST_TABLE,
  type TestTable,
} from '../support/dynalite.ts';

const NOW = 1_800_000_000;

let table: TestTable;
let codes: AuthorizationCodeRepository;

beforeAll(async () => {
  table = await startTestTable();
  const documents = createDocumentClient({
    region: TEST_REGION,
    endpoint: table.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  codes = new AuthorizationCodeRepository(documents, TEST_TABLE);
});

afterAll(async () => {
  await table?.close();
});

async function saveCode(codeHash: string): Promise<void> {
  await codes.saveCode({
    codeHash,
    clientId: 'web-app',
    redirectUri: 'https://app.example.com/cb',
    userId: 'user-1',
    scopes: ['api:read'],
    authTime: NOW - 10,
    amr: ['pwd'],
    expiresAt: NOW + 60,
  });
}

function redemption(codeHash: string, redemptionId: string, now = NOW): CodeRedemption {
  return {
    codeHash,
    homeRegion: undefined,
    clientId: 'web-app',
    redirectUri: 'https://app.example.com/cb',
    codeChallenge: undefined,
    now,
    familyId: 'family-1',
    redemptionId,
  };
}

describe('code redemption › lost response', () => {
  it('redeems the same request again', async () => {
    await saveCode('retry-code');
    await codes.redeemCode(redemption('retry-code', 'request-a'));

    const again = await codes.redeemCode(redemption('retry-code', 'request-a', NOW + 2));

    expect(again.status).toBe('redeemed');
  });

  it('treats the same request as a replay once issued', async () => {
    await saveCode('issued-code');
    await codes.redeemCode(redemption('issued-code', 'request-a'));
    await codes.markIssued('issued-code', 'request-a', 'attempt-1', NOW + 1, undefined);

    const again = await codes.redeemCode(redemption('issued-code', 'request-a', NOW + 2));

    expect(again.status).toBe('replayed');
  });

  it('reports another request as a replay', async () => {
    await saveCode('replay-code');
    await codes.redeemCode(redemption('replay-code', 'request-a'));

    const other = await codes.redeemCode(redemption('replay-code', 'request-b', NOW + 2));

    expect(other.status).toBe('replayed');
  });

  it('reports a late retry as a replay', async () => {
    await saveCode('late-code');
    await codes.redeemCode(redemption('late-code', 'request-a'));

    const late = await codes.redeemCode(redemption('late-code', 'request-a', NOW + 31));

    expect(late.status).toBe('replayed');
  });
});
