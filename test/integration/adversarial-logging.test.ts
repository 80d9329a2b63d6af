/**
 * Log content of the local server: no client secret may appear, even with event logging on.
 * Handlers run concurrently in one process, so each log line must carry its own request's keys.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../support/clients.ts';
import { startServer, type TestServer } from '../support/local-server.ts';

const SECRET = 'adversarial-demo-secret-42';
const FORM = 'application/x-www-form-urlencoded';

let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'oauth-adversarial-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

function logLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('adversarial › secrets in logs', () => {
  let server: TestServer | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  it('omits credentials with event logging', async () => {
    server = await startServer({
      DATA_DIR: folder,
      DEMO_CLIENT_SECRET: SECRET,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_LOGGER_LOG_EVENT: 'true',
    });
    const authorization = basicAuthorization('demo-client', SECRET);
    const postBody = `grant_type=client_credentials&client_id=demo-client&client_secret=${SECRET}`;

    const basic = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': FORM, authorization },
      body: 'grant_type=client_credentials',
    });
    await basic.text();
    const posted = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: postBody,
    });
    await posted.text();
    await server.stop();
    const output = server.output();

    expect(basic.status).toBe(200);
    expect(output).not.toContain(authorization.slice('Basic '.length));
    expect(output).not.toContain(Buffer.from(postBody).toString('base64'));
    expect(output).not.toContain(SECRET);
  });
});
