/**
 * The home-region rule of an eventually consistent global table, with two local servers as
 * two regions. Each has its own dynalite as its replica, and the test copies items between
 * them to stand in for replication. A code or refresh token consumed through one region
 * cannot be consumed again through the other while the home region answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserAgent, type UserCredentials } from '../support/authorization-flow.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { replicate } from '../support/replication.ts';
import { postToken } from '../support/token-requests.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const SECRET = 'web-app-secret-0123456789';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };

let virginia: TestTable;
let ireland: TestTable;
let east: TestServer;
let west: TestServer;
let virginiaClosed = false;

function regionEnvironment(region: string, table: TestTable): Record<string, string> {
  return {
    AWS_REGION: region,
    DYNAMODB_ENDPOINT: table.endpoint,
    TABLE_NAME: TEST_TABLE,
    TABLE_REGIONS: 'us-east-1,eu-west-1',
    DYNAMODB_REGION_ENDPOINTS: `us-east-1=${virginia.endpoint},eu-west-1=${ireland.endpoint}`,
    REFRESH_TOKEN_REUSE_GRACE_SECONDS: '0',
    POWERTOOLS_LOG_LEVEL: 'WARN',
  };
}

beforeAll(async () => {
  [virginia, ireland] = await Promise.all([startTestTable(), startTestTable()]);
  await registerClients(virginia.endpoint, [
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
  await createUser(virginia.endpoint, ALICE.username, ALICE.password);
  east = await startServer(regionEnvironment('us-east-1', virginia));
  west = await startServer(regionEnvironment('eu-west-1', ireland));
});

afterAll(async () => {
  await east?.stop();
  await west?.stop();
  if (!virginiaClosed) await virginia?.close();
  await ireland?.close();
});

async function codeFromEast(): Promise<string> {
  const browser = new UserAgent(east.url);
  const { code } = await browser.obtainCode(
    {
      response_type: 'code',
      client_id: 'web-app',
      redirect_uri: REDIRECT_URI,
      scope: 'api:read',
      state: 'multi-region',
    },
    ALICE,
  );
  return code;
}

function redeemAt(server: TestServer, code: string) {
  return postToken(
    server.url,
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
    { authorization: basicAuthorization('web-app', SECRET) },
  );
}

function refreshAt(server: TestServer, refreshToken: string) {
  return postToken(
    server.url,
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    { authorization: basicAuthorization('web-app', SECRET) },
  );
}

describe('eventual mode › home region', () => {
  it('names the home region in codes', async () => {
    await replicate(virginia.endpoint, ireland.endpoint);

    const code = await codeFromEast();

    expect(code.startsWith('us-east-1~')).toBe(true);
  });

  it('rejects a code redeemed in both regions', async () => {
    const code = await codeFromEast();
    await replicate(virginia.endpoint, ireland.endpoint);

    const first = await redeemAt(east, code);
    const second = await redeemAt(west, code);

    expect(first.response.status).toBe(200);
    expect(second.response.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    expect(second.body.error_description).toMatch(/already used/);
  });

  it('redeems in the other region once', async () => {
    const code = await codeFromEast();
    await replicate(virginia.endpoint, ireland.endpoint);

    const first = await redeemAt(west, code);
    const second = await redeemAt(east, code);

    expect(first.response.status).toBe(200);
    expect(second.response.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
  });

  it('rotates a refresh token once', async () => {
    const code = await codeFromEast();
    const issued = await redeemAt(east, code);
    const refreshToken = String(issued.body.refresh_token);
    await replicate(virginia.endpoint, ireland.endpoint);

    const first = await refreshAt(east, refreshToken);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const second = await refreshAt(west, refreshToken);

    expect(first.response.status).toBe(200);
    expect(second.response.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    expect(second.body.error_description).toMatch(/already used/);
  });

  it('falls back when the home region is down', async () => {
    const code = await codeFromEast();
    await replicate(virginia.endpoint, ireland.endpoint);
    await virginia.close();
    virginiaClosed = true;

    const redeemed = await redeemAt(west, code);

    expect(redeemed.response.status).toBe(200);
    expect(west.errors()).toMatch(/home region unavailable/);
  });
});
