/**
 * The local server as a user runs it: `npm start` with the embedded dynalite, a restart
 * that keeps the data, the demo client's credentials, Ctrl-C and bad configuration.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../support/clients.ts';
import { runFailingServer, startServer } from '../support/local-server.ts';

let dataDirectory: string;

beforeAll(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'oauth-local-'));
});

afterAll(async () => {
  await rm(dataDirectory, { recursive: true, force: true });
});

async function requestToken(url: string, clientId: string, secret: string) {
  return fetch(`${url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuthorization(clientId, secret),
    },
    body: 'grant_type=client_credentials',
  });
}

async function jwksKids(url: string): Promise<string[]> {
  const response = await fetch(`${url}/jwks.json`);
  const body = (await response.json()) as { keys: Array<{ kid: string }> };
  return body.keys.map((key) => key.kid);
}

describe('local server', () => {
  it('keeps clients and keys across a restart', async () => {
    const first = await startServer({ DATA_DIR: dataDirectory }, { viaNpm: true });
    const secret = /demo client secret: (\S+)/.exec(first.output())?.[1];
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const kidsBefore = await jwksKids(first.url);
    expect((await requestToken(first.url, 'demo-client', String(secret))).status).toBe(200);
    // Ctrl-C reaches npm too, which ends by the signal once the server has stopped.
    expect(await first.stop('SIGINT')).toBe('SIGINT');
    expect(first.output()).toMatch(/Received SIGINT, stopping/);

    const second = await startServer({ DATA_DIR: dataDirectory });
    const tokenResponse = await requestToken(second.url, 'demo-client', String(secret));
    const kidsAfter = await jwksKids(second.url);
    expect(await second.stop('SIGTERM')).toBe(0);

    expect(second.output()).not.toMatch(/demo client secret/);
    expect(tokenResponse.status).toBe(200);
    expect(kidsAfter).toEqual(kidsBefore);
  });

  it('gives the demo client the configured credentials', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'oauth-local-'));
    const server = await startServer({
      DATA_DIR: folder,
      DEMO_CLIENT_ID: 'my-app',
      DEMO_CLIENT_SECRET: 'my-app-secret',
    });

    const accepted = await requestToken(server.url, 'my-app', 'my-app-secret');
    const rejected = await requestToken(server.url, 'demo-client', 'my-app-secret');
    const output = server.output();
    await server.stop();
    await rm(folder, { recursive: true, force: true });

    expect(accepted.status).toBe(200);
    expect(rejected.status).toBe(401);
    expect(output).not.toMatch(/my-app-secret/);
  });

  it('serves a discoverable issuer set by ISSUER', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'oauth-local-'));
    const server = await startServer({ DATA_DIR: folder, ISSUER: 'http://127.0.0.1:1' });
    const issuer = new URL('http://127.0.0.1:1');

    const response = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
    const metadata = await oauth.processDiscoveryResponse(issuer, response);
    await server.stop();
    await rm(folder, { recursive: true, force: true });

    expect(metadata.token_endpoint).toBe('http://127.0.0.1:1/token');
  });

  const badConfigurations: Array<[string, Record<string, string>, RegExp]> = [
    ['PORT', { PORT: 'abc' }, /PORT must be a TCP port number/],
    ['ISSUER', { ISSUER: 'ftp://example.com' }, /ISSUER must be an http\(s\) URL/],
    ['plain http ISSUER', { ISSUER: 'http://auth.example.com' }, /ISSUER must use https/],
    [
      'ACCESS_TOKEN_LIFETIME_SECONDS',
      { ACCESS_TOKEN_LIFETIME_SECONDS: '5' },
      /ACCESS_TOKEN_LIFETIME_SECONDS must be a whole number of seconds from 60 to 86400 \(got "5"\)/,
    ],
  ];

  for (const [name, environment, message] of badConfigurations) {
    it(`stops on a bad ${name}`, async () => {
      const folder = await mkdtemp(join(tmpdir(), 'oauth-local-'));

      const { code, stderr } = await runFailingServer({ DATA_DIR: folder, ...environment });
      await rm(folder, { recursive: true, force: true });

      expect(code).toBe(1);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/\n\s+at /);
    });
  }
});
