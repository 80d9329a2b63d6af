/**
 * The storage behind the administration commands, on dynalite: the client and user
 * directories, partial client updates, and the revocation cutoffs, which only move forward.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredClient } from '../../functions/oauth/client.ts';
import { systemClock } from '../../functions/oauth/clock.ts';
import type { User } from '../../functions/oauth/users.ts';
import {
  ClientRepository,
  type ClientChanges,
} from '../../functions/storage/client-repository.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import {
  clientDirectoryKey,
  userDirectoryKey,
  usernameKey,
} from '../../functions/storage/table.ts';
import { UserRepository } from '../../functions/storage/user-repository.ts';
import {
  LOCAL_CREDENTIALS,
  startTestTable,
  TEST_REGION,
  TEST_TABLE,
  type TestTable,
} from '../support/dynalite.ts';

let table: TestTable;
let documents: ReturnType<typeof createDocumentClient>;
let clients: ClientRepository;
let users: UserRepository;

beforeAll(async () => {
  table = await startTestTable();
  documents = createDocumentClient({
    region: TEST_REGION,
    endpoint: table.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  clients = new ClientRepository(documents, TEST_TABLE, systemClock);
  users = new UserRepository(documents, TEST_TABLE, systemClock);
});

afterAll(async () => {
  documents?.destroy();
  await table?.close();
});

function service(clientId: string, overrides: Partial<RegisteredClient> = {}): RegisteredClient {
  return {
    clientId,
    tokenEndpointAuthMethod: 'client_secret_basic',
    grantTypes: ['client_credentials'],
    scopes: ['api:read'],
    ...overrides,
  };
}

function user(username: string, userId = `id-${username}`): User {
  return {
    userId,
    username,
    passwordHash: {
      algorithm: 'scrypt',
      salt: 'c2FsdA',
      hash: 'aGFzaA',
      cost: 16_384,
      blockSize: 8,
      parallelization: 1,
    },
    createdAt: Date.now(),
  };
}

async function getItem(key: { pk: string; sk: string }) {
  const { Item: item } = await documents.send(new GetCommand({ TableName: TEST_TABLE, Key: key }));
  return item;
}

async function allClientIds(): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  do {
    const paging = after === undefined ? { limit: 2 } : { limit: 2, after };
    const page = await clients.listClientIds(paging);
    ids.push(...page.clientIds);
    after = page.next;
  } while (after !== undefined);
  return ids;
}

describe('client directory', () => {
  it('lists created and saved clients in order', async () => {
    expect(await clients.createClient(service('c-beta'))).toBe(true);
    await clients.saveClient(service('c-alpha'));
    expect(await clients.createClient(service('c-gamma'))).toBe(true);

    const ids = await allClientIds();

    expect(ids.filter((id) => id.startsWith('c-'))).toEqual(['c-alpha', 'c-beta', 'c-gamma']);
  });

  it('keeps existing client on create', async () => {
    await clients.createClient(service('c-kept', { clientName: 'first' }));

    const created = await clients.createClient(service('c-kept', { clientName: 'second' }));

    expect(created).toBe(false);
    expect((await clients.findClient('c-kept'))?.clientName).toBe('first');
  });

  it('deletes client and entry', async () => {
    await clients.createClient(service('c-deleted'));

    const deleted = await clients.deleteClient('c-deleted');

    expect(deleted).toBe(true);
    expect(await clients.findClient('c-deleted')).toBeUndefined();
    expect(await getItem(clientDirectoryKey('c-deleted'))).toBeUndefined();
    expect(await clients.deleteClient('c-deleted')).toBe(false);
  });

  it('removes entry left without client', async () => {
    await documents.send(
      new PutCommand({
        TableName: TEST_TABLE,
        Item: { ...clientDirectoryKey('c-orphan'), clientId: 'c-orphan' },
      }),
    );

    expect(await clients.deleteClient('c-orphan')).toBe(true);
    expect(await allClientIds()).not.toContain('c-orphan');
  });
});

describe('client updates', () => {
  it('sets and removes attributes only', async () => {
    const client = service('c-updated', { clientName: 'name', audience: 'https://api' });
    await clients.createClient(client);

    const updated = await clients.updateClient('c-updated', {
      scopes: ['api:read', 'api:write'],
      clientName: undefined,
    });
    const stored = await clients.findClient('c-updated');

    expect(updated).toBe(true);
    expect(stored?.scopes).toEqual(['api:read', 'api:write']);
    expect(stored).not.toHaveProperty('clientName');
    expect(stored?.audience).toBe('https://api');
  });

  it('reports missing client', async () => {
    expect(await clients.updateClient('c-missing', { scopes: [] })).toBe(false);
    expect(await getItem({ pk: 'CLIENT#c-missing', sk: 'CLIENT' })).toBeUndefined();
  });

  it('rejects unknown attribute', async () => {
    const changes = { clientId: 'other' } as unknown as ClientChanges;

    await expect(clients.updateClient('c-updated', changes)).rejects.toThrow(
      'Unknown client attributes',
    );
  });

  it('moves token cutoff forward only', async () => {
    await clients.createClient(service('c-cutoff'));

    expect(await clients.revokeTokensBefore('c-cutoff', 2000)).toBe(true);
    expect(await clients.revokeTokensBefore('c-cutoff', 1000)).toBe(true);
    expect((await clients.findClient('c-cutoff'))?.tokensRevokedBefore).toBe(2000);
    expect(await clients.revokeTokensBefore('c-none', 1000)).toBe(false);
  });
});

describe('user directory', () => {
  it('lists users by normalized username', async () => {
    await users.createUser(user('Zed'));
    await users.createUser(user('amy'));

    const page = await users.listUsers();
    const names = page.entries.map((entry) => entry.normalizedUsername);

    expect(names).toEqual(['amy', 'zed']);
    expect(page.entries[1]?.userId).toBe('id-Zed');
  });

  it('pages after a username', async () => {
    const page = await users.listUsers({ limit: 1, after: 'AMY' });

    expect(page.entries.map((entry) => entry.normalizedUsername)).toEqual(['zed']);
  });

  it('deletes user, entry and username', async () => {
    await users.createUser(user('bea'));

    const deleted = await users.deleteUser('id-bea', 'bea');

    expect(deleted).toBe(true);
    expect(await users.findUserById('id-bea')).toBeUndefined();
    expect(await getItem(userDirectoryKey('bea'))).toBeUndefined();
    expect(await getItem(usernameKey('bea'))).toBeUndefined();
    expect(await users.createUser(user('bea', 'id-bea-2'))).toBe(true);
  });

  it('keeps username of another user', async () => {
    await users.createUser(user('cal'));

    const deleted = await users.deleteUser('id-someone-else', 'cal');

    expect(deleted).toBe(false);
    expect(await users.findUsernameOwner('cal')).toBe('id-cal');
    expect(await getItem(userDirectoryKey('cal'))).toBeDefined();
  });

  it('moves sign-out forward only', async () => {
    await users.createUser(user('dan'));

    expect(await users.signOut('id-dan', 2000)).toBe(true);
    expect(await users.signOut('id-dan', 1000)).toBe(true);
    expect((await users.findUserById('id-dan'))?.signedOutAt).toBe(2000);
    expect(await users.signOut('id-nobody', 1000)).toBe(false);
  });

  it('disables and enables', async () => {
    await users.createUser(user('eve'));

    expect(await users.setDisabled('id-eve', true)).toBe(true);
    expect((await users.findUserById('id-eve'))?.disabled).toBe(true);
    expect(await users.setDisabled('id-eve', false)).toBe(true);
    expect(await users.findUserById('id-eve')).not.toHaveProperty('disabled');
    expect(await users.setDisabled('id-nobody', true)).toBe(false);
  });
});
