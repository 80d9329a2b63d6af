/**
 * GET /health against the local server: 200 while the table is reachable, 503 with Retry-After
 * once its dynalite has stopped. The server keeps no signing key in memory (MEMORY_CACHE_SECONDS=0,
 * as the deployment sets for the health function), so the check after the stop reads the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTable, TEST_TABLE } from '../support/dynalite.ts';
import type { TestTable } from '../support/dynalite.ts';
import { startServer, type TestServer } from '../support/local-server.ts';

let table: TestTable;
let tableClosed = false;
let server: TestServer;

beforeAll(async () => {
  table = await startTestTable();
  server = await startServer({
    DYNAMODB_ENDPOINT: table.endpoint,
    TABLE_NAME: TEST_TABLE,
    MEMORY_CACHE_SECONDS: '0',
  });
});

afterAll(async () => {
  await server?.stop();
  if (!tableClosed) await table?.close();
});

describe('health endpoint', () => {
  it('returns 200 while the table is up', async () => {
    const response = await fetch(`${server.url}/health`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('leaves a signing key in the JWKS', async () => {
    const response = await fetch(`${server.url}/jwks.json`);
    const jwks = (await response.json()) as { keys: unknown[] };

    expect(response.status).toBe(200);
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
  });

  it('rejects POST with 405', async () => {
    const response = await fetch(`${server.url}/health`, { method: 'POST' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });

  it('returns 503 once the table stops', async () => {
    await table.close();
    tableClosed = true;

    const response = await fetch(`${server.url}/health`);
    const text = await response.text();
    const body = JSON.parse(text) as Record<string, unknown>;

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body.error).toBe('temporarily_unavailable');
    expect(text).not.toMatch(/ECONNREFUSED|at .*\.ts:\d+|DynamoDB/);
  });
});
