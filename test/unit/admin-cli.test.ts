/**
 * The administration command without a table: help at every level, usage errors and their
 * exit statuses, the checks of client settings and user input, paging, the terminal prompts,
 * and the deployed-table target. CloudFormation is a stand-in here: no test reaches AWS or
 * looks for AWS credentials.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { applyChanges, changesFromOptions } from '../../bin/admin/client-options.ts';
import {
  clientProblems,
  parseRedirectUri,
  parseScopes,
  readJwksFile,
} from '../../bin/admin/client-settings.ts';
import { EXIT_CONFLICT, EXIT_NOT_FOUND, EXIT_USAGE, UsageError } from '../../bin/admin/errors.ts';
import type { AdminInput, AdminIo } from '../../bin/admin/io.ts';
import { GROUPS, runAdmin } from '../../bin/admin/main.ts';
import { collectPages } from '../../bin/admin/paging.ts';
import { confirmOnTerminal, readLine } from '../../bin/admin/prompts.ts';
import { readTableName, type StackReader } from '../../bin/admin/stack-outputs.ts';
import { openTarget } from '../../bin/admin/target.ts';
import { checkPassword, parseUsername } from '../../bin/admin/user-input.ts';
import type { RegisteredClient } from '../../functions/oauth/client.ts';

interface FakeIo {
  io: AdminIo;
  stdout(): string;
  stderr(): string;
}

/** Streams in memory; standard input is a pipe with `input`, or a terminal stand-in. */
function fakeIo(input: AdminInput = Readable.from([])): FakeIo {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdin: input,
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
    },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

/** A terminal stand-in: a stream with isTTY and a raw mode that records its changes. */
function fakeTerminal(): PassThrough & AdminInput & { rawModes: boolean[] } {
  const terminal = new PassThrough() as PassThrough & AdminInput & { rawModes: boolean[] };
  terminal.isTTY = true;
  terminal.rawModes = [];
  terminal.setRawMode = (mode: boolean) => terminal.rawModes.push(mode);
  return terminal;
}

const PUBLIC = { tokenEndpointAuthMethod: 'none' } as const;

const WEB_APP: RegisteredClient = {
  clientId: 'web-app',
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['authorization_code', 'refresh_token'],
  responseTypes: ['code'],
  redirectUris: ['https://app.example.com/cb'],
  scopes: ['openid', 'profile'],
};

describe('admin help', () => {
  it('prints main help', async () => {
    const fake = fakeIo();

    const status = await runAdmin(['--help'], fake.io);

    expect(status).toBe(0);
    expect(fake.stdout()).toContain('Usage: oauth-admin <group> <command>');
    expect(fake.stdout()).toContain('Exit status: 0 success');
  });

  it('prints help of every group', async () => {
    for (const group of GROUPS) {
      const fake = fakeIo();

      const status = await runAdmin([group.name, '--help'], fake.io);

      expect(status).toBe(0);
      for (const command of group.commands) expect(fake.stdout()).toContain(command.name);
    }
  });

  it('prints help of every command', async () => {
    for (const group of GROUPS) {
      for (const command of group.commands) {
        const fake = fakeIo();

        const status = await runAdmin([group.name, command.name, '--help'], fake.io);

        expect(status).toBe(0);
        expect(fake.stdout()).toContain(`Usage: oauth-admin ${group.name} ${command.name}`);
        for (const option of Object.keys(command.options)) {
          // A negatable option reads --[no-]name.
          expect(fake.stdout()).toMatch(new RegExp(`(--|\\])${option} `));
        }
      }
    }
  });

  it('keeps help lines within 100 columns', async () => {
    for (const group of GROUPS) {
      for (const command of group.commands) {
        const fake = fakeIo();
        await runAdmin([group.name, command.name, '--help'], fake.io);
        const long = fake.stdout().split('\n').filter((line) => line.length > 100);

        expect(long).toEqual([]);
      }
    }
  });

  it('shows help on stderr without a group', async () => {
    const fake = fakeIo();

    const status = await runAdmin([], fake.io);

    expect(status).toBe(EXIT_USAGE);
    expect(fake.stderr()).toContain('Groups:');
    expect(fake.stdout()).toBe('');
  });
});

describe('admin usage errors', () => {
  it.each([
    [['nothing'], "Unknown group 'nothing'"],
    [['clients', 'nothing'], "Unknown command 'nothing' of clients"],
    [['clients', 'show'], 'The argument <client-id> is missing'],
    [['clients', 'show', 'a', 'b'], "Unexpected argument 'b'"],
    [['clients', 'list', '--bogus'], "Unknown option '--bogus'"],
    [['clients', 'list', '--no-json'], "Unknown option '--no-json'"],
    [['clients', 'list', '--limit', '0'], '--limit 0 is invalid'],
    [['clients', 'create', 'a b'], "The client id 'a b' is invalid"],
    [['clients', 'create', 'app', '--grant-type', 'magic'], "--grant-type 'magic' is invalid"],
    [['users', 'create', 'has space'], "The username 'has space' is invalid"],
    [['tokens', 'revoke'], 'Give exactly one of'],
    [['keys', 'rotate', '--algorithm', 'HS256'], '--algorithm HS256 is invalid'],
  ])('rejects %j', async (args, message) => {
    const fake = fakeIo();

    const status = await runAdmin(args, fake.io);

    expect(status).toBe(EXIT_USAGE);
    expect(fake.stderr()).toContain(message);
  });

  it('prints errors as JSON with --json', async () => {
    const fake = fakeIo();

    const status = await runAdmin(['clients', 'show', '--json'], fake.io);

    expect(status).toBe(EXIT_USAGE);
    const error = JSON.parse(fake.stderr()) as { error: string; message: string };
    expect(error.error).toBe('invalid_usage');
    expect(error.message).toContain('<client-id>');
  });

  it('accepts global options before the group', async () => {
    const fake = fakeIo();

    const status = await runAdmin(['--data-dir', '/nonexistent', 'clients', '--help'], fake.io);

    expect(status).toBe(0);
    expect(fake.stdout()).toContain('Usage: oauth-admin clients <command>');
  });

  it('distinguishes exit statuses', () => {
    expect(new Set([EXIT_USAGE, EXIT_NOT_FOUND, EXIT_CONFLICT]).size).toBe(3);
  });
});

describe('client settings', () => {
  it('accepts working client', () => {
    expect(clientProblems(WEB_APP)).toEqual([]);
  });

  it.each<[string, Partial<RegisteredClient>, string]>([
    ['no grant', { grantTypes: [], responseTypes: [], redirectUris: [] }, 'can do nothing'],
    [
      'public service',
      { ...PUBLIC, grantTypes: ['client_credentials'], responseTypes: [], redirectUris: [] },
      'cannot use client_credentials',
    ],
    ['public introspection', { ...PUBLIC, introspection: true }, 'may not introspect'],
    ['jwt without keys', { tokenEndpointAuthMethod: 'private_key_jwt' }, '--jwks-file'],
    ['keys without jwt', { jwks: { keys: [{ kty: 'EC' }] } }, 'Only a private_key_jwt client'],
    [
      'refresh alone',
      { grantTypes: ['refresh_token'], responseTypes: [], redirectUris: [] },
      'needs authorization_code or password',
    ],
    ['code without type', { responseTypes: [] }, 'needs the response type code'],
    ['no redirect', { redirectUris: [] }, 'need a redirect URI'],
    ['implicit type alone', { responseTypes: ['code', 'token'] }, 'needs the implicit grant'],
    [
      'idle over absolute',
      { refreshTokenIdleSeconds: 7200, refreshTokenAbsoluteSeconds: 3600 },
      'exceeds',
    ],
  ])('reports %s', (_name, overrides, message) => {
    const problems = clientProblems({ ...WEB_APP, ...overrides });

    expect(problems.join(' ')).toContain(message);
  });

  it.each([
    'https://app.example.com/cb',
    'http://127.0.0.1/callback',
    'http://[::1]:8080/cb',
    'com.example.app:/oauth2redirect',
  ])('accepts redirect URI %s', (uri) => {
    expect(parseRedirectUri(uri, 'redirect-uri')).toBe(uri);
  });

  it.each([
    ['http://app.example.com/cb', 'plain http'],
    ['https://app.example.com/cb#frag', 'fragment'],
    ['https://user:pw@app.example.com/cb', 'user information'],
    ['javascript:alert(1)', 'private-use scheme'],
    ['/relative', 'not an absolute URI'],
  ])('rejects redirect URI %s', (uri, message) => {
    expect(() => parseRedirectUri(uri, 'redirect-uri')).toThrow(message);
  });

  it('splits and deduplicates scopes', () => {
    const scopes = parseScopes(['openid profile', 'profile  email']);

    expect(scopes).toEqual(['openid', 'profile', 'email']);
  });

  it('rejects scope with quote', () => {
    expect(() => parseScopes(['bad"scope'])).toThrow(UsageError);
  });

  it('rejects private JWK', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'admin-jwks-'));
    const path = join(folder, 'jwks.json');
    const privateKey = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' };
    await writeFile(path, JSON.stringify({ keys: [privateKey] }));

    await expect(readJwksFile(path)).rejects.toThrow('is a private key (it has d)');
  });

  it('reads single public JWK', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'admin-jwks-'));
    const path = join(folder, 'key.json');
    await writeFile(path, JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }));

    const jwks = await readJwksFile(path);

    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]?.kid).toBe('k1');
  });
});

describe('client update options', () => {
  it('adds and removes redirect URIs', async () => {
    const changes = await changesFromOptions(WEB_APP, {
      'add-redirect-uri': ['https://app.example.com/cb2'],
      'remove-redirect-uri': ['https://app.example.com/cb'],
    });

    expect(changes).toEqual({ redirectUris: ['https://app.example.com/cb2'] });
  });

  it('rejects removing unknown URI', async () => {
    const options = { 'remove-redirect-uri': ['https://other.example.com/cb'] };

    await expect(changesFromOptions(WEB_APP, options)).rejects.toThrow('has no redirect URI');
  });

  it('resets lifetime to default', async () => {
    const client = { ...WEB_APP, accessTokenLifetimeSeconds: 600 };

    const changes = await changesFromOptions(client, { 'access-token-lifetime': 'default' });

    expect(Object.keys(changes)).toEqual(['accessTokenLifetimeSeconds']);
    expect(applyChanges(client, changes).accessTokenLifetimeSeconds).toBeUndefined();
  });

  it('drops code with its grant', async () => {
    const changes = await changesFromOptions(WEB_APP, { 'grant-type': ['client_credentials'] });
    const updated = applyChanges(WEB_APP, changes);

    expect(updated.responseTypes).toBeUndefined();
    expect(updated.grantTypes).toEqual(['client_credentials']);
  });

  it('refuses switch to public client', async () => {
    const client = { ...WEB_APP, secretHash: undefined };

    await expect(changesFromOptions(client, { 'auth-method': 'none' })).rejects.toThrow(
      'cannot change from client_secret_basic to none',
    );
  });
});

describe('user input', () => {
  it.each(['alice', 'Alice.Liddell@example.com', 'ユーザー'])('accepts username %s', (name) => {
    expect(parseUsername(name)).toBe(name);
  });

  it.each(['', 'a b', 'tab\there', 'x'.repeat(129)])('rejects username %j', (name) => {
    expect(() => parseUsername(name)).toThrow(UsageError);
  });

  it('rejects short password', () => {
    expect(() => checkPassword('seven77')).toThrow('has 7 characters');
  });

  it('rejects password with line break', () => {
    expect(() => checkPassword('first line\nsecond')).toThrow('control character');
  });

  it('counts code points', () => {
    expect(checkPassword('😀😀😀😀😀😀😀😀')).toHaveLength(16);
  });
});

describe('paging', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];

  /** A directory that returns at most two entries per Query, as a 1 MB limit would. */
  async function readPage({ limit, after }: { limit?: number; after?: string }) {
    const start = after === undefined ? 0 : ids.indexOf(after) + 1;
    const size = Math.min(limit ?? 2, 2);
    const entries = ids.slice(start, start + size);
    const last = entries.at(-1);
    return start + size < ids.length && last !== undefined ? { entries, next: last } : { entries };
  }

  it('reads every page without limit', async () => {
    const page = await collectPages(readPage, (id) => id, {});

    expect(page).toEqual({ entries: ids });
  });

  it('stops at the limit', async () => {
    const page = await collectPages(readPage, (id) => id, { limit: 3 });

    expect(page).toEqual({ entries: ['a', 'b', 'c'], next: 'c' });
  });

  it('omits next at the end', async () => {
    const page = await collectPages(readPage, (id) => id, { limit: 2, after: 'c' });

    expect(page).toEqual({ entries: ['d', 'e'] });
  });
});

describe('terminal prompts', () => {
  it('reads hidden line with backspace', async () => {
    const terminal = fakeTerminal();
    let echoed = '';
    const line = readLine(terminal, { hidden: true, echo: { write: (text) => (echoed += text) } });

    terminal.write('secrex\u007ft\r');

    expect(await line).toBe('secret');
    expect(echoed).toBe('\n');
    expect(terminal.rawModes).toEqual([true, false]);
  });

  it('keeps pasted next line', async () => {
    const terminal = fakeTerminal();
    const echo = { write: () => undefined };
    const first = readLine(terminal, { hidden: true, echo });
    terminal.write('one\r\ntwo\r');

    expect(await first).toBe('one');
    expect(await readLine(terminal, { hidden: true, echo })).toBe('two');
  });

  it('cancels on Ctrl-C', async () => {
    const terminal = fakeTerminal();
    const line = readLine(terminal, { hidden: true, echo: { write: () => undefined } });

    terminal.write('abc\u0003');

    await expect(line).rejects.toMatchObject({ code: 'cancelled', exitStatus: 130 });
  });

  it('confirms with yes', async () => {
    const terminal = fakeTerminal();
    const fake = fakeIo(terminal);
    const confirmed = confirmOnTerminal(fake.io, 'Delete it?');

    terminal.write('yes\r');

    await expect(confirmed).resolves.toBeUndefined();
    expect(fake.stderr()).toContain('Delete it? [y/N]');
  });

  it('cancels on no', async () => {
    const terminal = fakeTerminal();
    const confirmed = confirmOnTerminal(fakeIo(terminal).io, 'Delete it?');

    terminal.write('n\r');

    await expect(confirmed).rejects.toMatchObject({ code: 'cancelled', exitStatus: EXIT_USAGE });
  });

  it('refuses without terminal', async () => {
    await expect(confirmOnTerminal(fakeIo().io, 'Delete it?')).rejects.toThrow('Pass --yes');
  });
});

/**
 * A stand-in for the CloudFormation client: the real one cannot run here, and no test may
 * look for AWS credentials. It records the stack names asked for.
 */
function stackReader(respond: (stackName: string) => unknown) {
  const asked: string[] = [];
  const reader: StackReader & { destroy(): void } = {
    send: async (command: DescribeStacksCommand) => {
      const stackName = command.input.StackName ?? '';
      asked.push(stackName);
      return respond(stackName) as Awaited<ReturnType<StackReader['send']>>;
    },
    destroy: () => undefined,
  };
  return { reader, asked };
}

function outputs(values: Record<string, string>) {
  const Outputs = Object.entries(values).map(([OutputKey, OutputValue]) => ({
    OutputKey,
    OutputValue,
  }));
  return { Stacks: [{ StackName: 'stack', Outputs }], $metadata: {} };
}

function awsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('stack outputs (mocked CloudFormation)', () => {
  it('reads TableName output', async () => {
    const { reader, asked } = stackReader(() =>
      outputs({ Issuer: 'https://auth.example.com', TableName: 'oauth-prod' }),
    );

    const tableName = await readTableName(reader, 'AuthorizationServer-eu-west-1', 'eu-west-1');

    expect(tableName).toBe('oauth-prod');
    expect(asked).toEqual(['AuthorizationServer-eu-west-1']);
  });

  it('reports missing output', async () => {
    const { reader } = stackReader(() => outputs({ Issuer: 'https://auth.example.com' }));

    await expect(readTableName(reader, 'Dns', 'eu-west-1')).rejects.toThrow(
      'has no output TableName',
    );
  });

  it('reports unknown stack', async () => {
    const { reader } = stackReader(() => {
      throw awsError('ValidationError', 'Stack with id Nope does not exist');
    });

    await expect(readTableName(reader, 'Nope', 'eu-west-1')).rejects.toThrow(
      'The stack Nope does not exist in eu-west-1',
    );
  });

  it('reports missing credentials', async () => {
    const { reader } = stackReader(() => {
      throw awsError('CredentialsProviderError', 'Could not load credentials from any providers');
    });

    await expect(readTableName(reader, 'Stack', 'eu-west-1')).rejects.toThrow(
      'No AWS credentials were found',
    );
  });

  it('opens table named by stack', async () => {
    const { reader, asked } = stackReader(() => outputs({ TableName: 'oauth-prod' }));

    const table = await openTarget({ region: 'eu-west-1', stack: 'Table' }, {}, () => reader);
    await table.close();

    expect(table.tableName).toBe('oauth-prod');
    expect(table.region).toBe('eu-west-1');
    expect(table.description).toBe('table oauth-prod in eu-west-1');
    expect(asked).toEqual(['Table']);
  });

  it('skips CloudFormation with --table', async () => {
    const { reader, asked } = stackReader(() => outputs({ TableName: 'unused' }));

    const table = await openTarget(
      { region: 'eu-west-1', stack: 'Table', tableName: 'chosen' },
      {},
      () => reader,
    );
    await table.close();

    expect(table.tableName).toBe('chosen');
    expect(asked).toEqual([]);
  });

  it('requires region', async () => {
    const { reader } = stackReader(() => outputs({ TableName: 'unused' }));

    await expect(openTarget({ stack: 'Table' }, {}, () => reader)).rejects.toThrow('--region');
  });

  it('requires stack or table with region', async () => {
    const { reader } = stackReader(() => outputs({ TableName: 'unused' }));

    await expect(openTarget({ region: 'eu-west-1' }, {}, () => reader)).rejects.toThrow(
      'name the table with --stack or --table',
    );
  });
});
