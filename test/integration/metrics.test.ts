/**
 * Metrics in CloudWatch embedded metric format, printed by the handlers when metrics are on
 * (the local server turns them off unless POWERTOOLS_METRICS_DISABLED=false).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization, registerClients } from '../support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';
import { postToken } from '../support/token-requests.ts';

let table: TestTable;
let server: TestServer;
let tableClosed = false;

beforeAll(async () => {
  table = await startTestTable();
  await registerClients(table.endpoint, [
    {
      clientId: 'reports',
      secret: 'reports-secret-0123456789',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      scopes: ['reports:read'],
    },
  ]);
  server = await startServer({
    DYNAMODB_ENDPOINT: table.endpoint,
    TABLE_NAME: TEST_TABLE,
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
});

afterAll(async () => {
  await server?.stop();
  if (!tableClosed) await table?.close();
});

/** Returns the embedded-metric-format lines that the server printed. */
function metricLines(): Array<Record<string, unknown>> {
  return server
    .output()
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('metrics', () => {
  it('counts tokens per grant type', async () => {
    const authorization = basicAuthorization('reports', 'reports-secret-0123456789');

    await postToken(server.url, { grant_type: 'client_credentials' }, { authorization });
    await postToken(server.url, { grant_type: 'client_credentials' }, { authorization });
    await new Promise((resolve) => setTimeout(resolve, 200));

    // The second token proves the dimension outlives the first publishing.
    const issued = metricLines().filter((line) => 'TokensIssued' in line);
    expect(issued).toHaveLength(2);
    expect(issued[1]?.grantType).toBe('client_credentials');
    expect(issued[0]?.grantType).toBe('client_credentials');
    expect(issued[0]?.TokensIssued).toBe(1);
  });

  it('counts storage faults', async () => {
    await table.close();
    tableClosed = true;

    // An unknown client is not in the memory cache, so its lookup reaches the closed table.
    const authorization = basicAuthorization('not-cached', 'secret');
    const { response } = await postToken(
      server.url,
      { grant_type: 'client_credentials' },
      { authorization },
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(response.status).toBe(503);
    expect(metricLines().some((line) => line.StorageFaults === 1)).toBe(true);
  });
});
