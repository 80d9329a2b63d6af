/**
 * Local server startup failures: invalid values of variables from the README's tables, and a
 * second server on a data folder in use. Each must exit with a message naming the cause, no stack.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  runFailingServer,
  startServer,
  type TestServer,
} from '../support/local-server.ts';

const STACK_FRAME = /\n\s+at /;

describe('adversarial › bad configuration', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['TABLE_NAME', { TABLE_NAME: 'ab' }, /TABLE_NAME/],
    ['DYNAMODB_ENDPOINT', { DYNAMODB_ENDPOINT: 'ftp://127.0.0.1:1' }, /DYNAMODB_ENDPOINT/],
    ['AWS_REGION', { AWS_REGION: 'us east 1' }, /AWS_REGION/],
    ['POWERTOOLS_LOG_LEVEL', { POWERTOOLS_LOG_LEVEL: 'LOUD' }, /POWERTOOLS_LOG_LEVEL/],
  ];

  // An accepted value leaves the server running until runFailingServer kills it after 20 s.
  for (const [name, environment, message] of cases) {
    it(`rejects an invalid ${name}`, { timeout: 40_000 }, async () => {
      const folder = await mkdtemp(join(tmpdir(), 'oauth-adversarial-'));

      const { code, stderr } = await runFailingServer({ DATA_DIR: folder, ...environment });
      await rm(folder, { recursive: true, force: true });

      expect(code).toBe(1);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(STACK_FRAME);
    });
  }
});

describe('adversarial › two servers on one data folder', () => {
  let folder: string;
  let first: TestServer | undefined;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'oauth-adversarial-'));
    first = await startServer({ DATA_DIR: folder });
  });

  afterAll(async () => {
    await first?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('rejects the second server', async () => {
    const { code, stderr } = await runFailingServer({
      DATA_DIR: folder,
      PORT: String(await freePort()),
    });

    expect(code).toBe(1);
    expect(stderr).toMatch(/DATA_DIR|data folder|in use/i);
    expect(stderr).not.toMatch(STACK_FRAME);
  });
});
