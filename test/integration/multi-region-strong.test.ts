/**
 * Two local servers as two regions of a strongly consistent global table: both use one
 * dynalite, where every conditional write is checked against the same data, as the strong
 * mode's replicas are. A token from one region is accepted, refreshed, introspected and
 * revoked through the other, and when one region stops under load the other keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserAgent, type UserCredentials } from '../support/authorization-flow.ts';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { postToken } from '../support/token-requests.ts';
import { createUser } from '../support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const ISSUER = 'http://127.0.0.1:9';
const ALICE: UserCredentials = { username: 'alice', password: 'alice-password-0123' };
const WEB_APP = { id: 'web-app', secret: 'web-app-secret-0123456789' };
const API = { id: 'resource-api', secret: 'resource-api-secret-0123456789' };

let table: TestTable;
let east: TestServer;
let west: TestServer;
let eastStopped = false;

function regionEnvironment(region: string): Record<string, string> {
  return {
    AWS_REGION: region,
    DYNAMODB_ENDPOINT: table.endpoint,
    TABLE_NAME: TEST_TABLE,
    TABLE_REGIONS: 'us-east-1,us-east-2,us-west-2',
    CONSISTENCY_MODE: 'strong',
    // One issuer for both regions, as a custom domain gives them.
    ISSUER,
  };
}

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      clientId: WEB_APP.id,
      secret: WEB_APP.secret,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      responseTypes: ['code'],
      redirectUris: [REDIRECT_URI],
      scopes: ['api:read'],
      skipConsent: true,
    },
    {
      clientId: API.id,
      secret: API.secret,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: [],
      scopes: [],
      introspection: true,
    },
  ]);
  await createUser(table.endpoint, ALICE.username, ALICE.password);
  east = await startServer(regionEnvironment('us-east-1'));
  west = await startServer(regionEnvironment('us-west-2'));
});

afterAll(async () => {
  if (!eastStopped) await east?.stop();
  await west?.stop();
  await table?.close();
});

const webApp = () => ({ authorization: basicAuthorization(WEB_APP.id, WEB_APP.secret) });
const resourceApi = () => ({ authorization: basicAuthorization(API.id, API.secret) });

/** Signs Alice in through a region's own pages and returns the code. */
async function codeFrom(server: TestServer): Promise<string> {
  const browser = new UserAgent(ISSUER, server.url);
  const { code } = await browser.obtainCode(
    {
      response_type: 'code',
      client_id: WEB_APP.id,
      redirect_uri: REDIRECT_URI,
      scope: 'api:read',
      state: 'strong-mode',
    },
    ALICE,
  );
  return code;
}

describe('strong mode › two regions on one table', () => {
  it('serves one sign-in through both regions', async () => {
    const code = await codeFrom(east);
    const redeem = (server: TestServer) =>
      postToken(
        server.url,
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
        webApp(),
      );

    const issued = await redeem(west);
    const refreshed = await postToken(
      east.url,
      { grant_type: 'refresh_token', refresh_token: String(issued.body.refresh_token) },
      webApp(),
    );
    const replay = await redeem(east);

    expect(issued.body).toHaveProperty('access_token');
    expect(refreshed.body).toHaveProperty('access_token');
    expect(replay.response.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
  });

  it('introspects and revokes across regions', async () => {
    const code = await codeFrom(west);
    const issued = await postToken(
      west.url,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
      webApp(),
    );
    const accessToken = String(issued.body.access_token);
    const refreshToken = String(issued.body.refresh_token);

    const before = await fetchJson(east, '/introspect', { token: accessToken }, resourceApi());
    const revoked = await fetch(`${east.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...webApp() },
      body: new URLSearchParams({ token: refreshToken }).toString(),
    });
    const after = await fetchJson(west, '/introspect', { token: accessToken }, resourceApi());
    const refresh = await postToken(
      west.url,
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      webApp(),
    );

    expect(before.active).toBe(true);
    expect(revoked.status).toBe(200);
    expect(after.active).toBe(false);
    expect(refresh.response.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('keeps serving when one region stops under load', async () => {
    const results: Array<{ region: string; status: number }> = [];
    let stopping = false;

    const load = async (server: TestServer, region: string) => {
      for (let request = 0; request < 60; request++) {
        // Once the region starts to stop, its clients move on, as Route 53 would move them.
        if (region === 'east' && stopping) return;
        try {
          const { response } = await postToken(
            server.url,
            { grant_type: 'client_credentials' },
            webApp(),
          );
          results.push({ region, status: response.status });
        } catch {
          // A request in flight when its region stops fails at the connection; count it.
          results.push({ region, status: stopping ? 0 : -1 });
        }
      }
    };
    const stopEast = async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      stopping = true;
      await east.stop();
      eastStopped = true;
    };

    await Promise.all([load(east, 'east'), load(west, 'west'), load(west, 'west'), stopEast()]);

    const westResults = results.filter((result) => result.region === 'west');
    expect(westResults).toHaveLength(120);
    expect(westResults.every((result) => result.status === 200)).toBe(true);
    expect(results.filter((result) => result.status === -1)).toHaveLength(0);
    expect(results.filter((result) => result.status === 0).length).toBeLessThanOrEqual(1);
  });
});

async function fetchJson(
  server: TestServer,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string>,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return (await response.json()) as Record<string, unknown>;
}
