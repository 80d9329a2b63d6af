/** The `clients` commands: register, list, show, change and delete OAuth clients. */
import { generateClientSecret, hashClientSecret } from '../../functions/oauth/client-secret.ts';
import type { RegisteredClient } from '../../functions/oauth/client.ts';
import { systemClock } from '../../functions/oauth/clock.ts';
import { ClientRepository } from '../../functions/storage/client-repository.ts';
import {
  applyChanges,
  changesFromOptions,
  clientFromOptions,
  CREATE_OPTIONS,
  UPDATE_NOTES,
  UPDATE_OPTIONS,
} from './client-options.ts';
import { checkClient, parseClientId } from './client-settings.ts';
import { clientJson, clientSummary, clientText, columns } from './client-view.ts';
import type { CommandSpec, GroupSpec, Invocation } from './command.ts';
import { ConflictError, NotFoundError, UsageError } from './errors.ts';
import { collectPages, PAGING_OPTIONS, readPaging } from './paging.ts';

/** How long warm functions may keep serving a client's cached copy, by default. */
const CACHE_NOTE =
  'Warm functions keep a client in memory for MEMORY_CACHE_SECONDS (60 by default), so a ' +
  'change can take that long to reach every request.';

const SECRET_NOTE = 'The secret is shown only now: only its hash is stored.';

async function openClients(invocation: Invocation): Promise<ClientRepository> {
  const table = await invocation.openTable();
  return new ClientRepository(table.documents, table.tableName, systemClock);
}

async function findExisting(clients: ClientRepository, clientId: string) {
  const client = await clients.findClient(clientId);
  if (client === undefined) throw new NotFoundError(`The client ${clientId} does not exist.`);
  return client;
}

const create: CommandSpec = {
  name: 'create',
  summary: 'Register a client; a confidential client gets a generated secret, shown once',
  arguments: ['client-id'],
  options: CREATE_OPTIONS,
  notes: [
    'Example:\n' +
      '  oauth-admin clients create web-app --grant-type authorization_code,refresh_token \\\n' +
      "    --redirect-uri https://app.example.com/callback --scope 'openid profile offline_access'",
    'The generated secret has 256 random bits. Store it at once: only its hash is kept.',
  ],
  async run(invocation) {
    const clientId = parseClientId(invocation.arguments[0] ?? '');
    const { client, secret } = await clientFromOptions(clientId, invocation.options);
    checkClient(client);

    const clients = await openClients(invocation);
    if (!(await clients.createClient(client))) {
      throw new ConflictError(
        `The client ${clientId} exists already. Change it with 'clients update', or choose ` +
          'another client id.',
      );
    }
    const lines = [`Created client ${clientId}.`, clientText(client)];
    if (secret !== undefined) lines.push(`client secret: ${secret}`, SECRET_NOTE);
    return {
      text: lines.join('\n'),
      json: {
        client: clientJson(client),
        ...(secret === undefined ? {} : { clientSecret: secret }),
      },
    };
  },
};

const list: CommandSpec = {
  name: 'list',
  summary: 'List the registered clients, in client id order',
  arguments: [],
  options: PAGING_OPTIONS,
  async run(invocation) {
    const paging = readPaging(invocation.options);
    const clients = await openClients(invocation);
    const page = await collectPages(async (request) => {
      const ids = await clients.listClientIds(request);
      return { entries: ids.clientIds, ...(ids.next === undefined ? {} : { next: ids.next }) };
    }, (clientId) => clientId, paging);
    const found = await Promise.all(page.entries.map((id) => clients.findClient(id)));
    const entries = page.entries.map((clientId, index) => ({ clientId, client: found[index] }));

    const rows = entries.map(({ clientId, client }) =>
      client === undefined ? [clientId, '(missing)', '', ORPHAN_NOTE] : clientSummary(client),
    );
    const text = [
      rows.length === 0 ? 'No clients.' : columns(LIST_HEADER, rows),
      ...(page.next === undefined ? [] : [`More clients follow: pass --after ${page.next}.`]),
    ];
    const json = entries.map(({ clientId, client }) =>
      client === undefined ? { clientId, missing: true } : clientJson(client),
    );
    return {
      text: text.join('\n'),
      json: { clients: json, ...(page.next === undefined ? {} : { next: page.next }) },
    };
  },
};

const LIST_HEADER = ['CLIENT ID', 'AUTH METHOD', 'GRANT TYPES', 'NAME'];

/** Shown for a directory entry without its client, left by an interrupted create or delete. */
const ORPHAN_NOTE = "entry without a client; 'clients delete' removes it";

const show: CommandSpec = {
  name: 'show',
  summary: 'Show the settings of a client, without its secret',
  arguments: ['client-id'],
  options: {},
  async run(invocation) {
    const clients = await openClients(invocation);
    const client = await findExisting(clients, invocation.arguments[0] ?? '');
    return { text: clientText(client), json: { client: clientJson(client) } };
  },
};

const update: CommandSpec = {
  name: 'update',
  summary: 'Change the settings of a client; options not given stay as they are',
  arguments: ['client-id'],
  options: UPDATE_OPTIONS,
  notes: [
    ...UPDATE_NOTES,
    'Example:\n  oauth-admin clients update web-app --add-redirect-uri https://app.example.com/cb2',
    CACHE_NOTE,
  ],
  async run(invocation) {
    const clientId = invocation.arguments[0] ?? '';
    const clients = await openClients(invocation);
    const client = await findExisting(clients, clientId);
    const changes = await changesFromOptions(client, invocation.options);
    if (Object.keys(changes).length === 0) {
      throw new UsageError(`No change given for client ${clientId}. See 'clients update --help'.`);
    }
    const updated = applyChanges(client, changes);
    checkClient(updated);

    if (!(await clients.updateClient(clientId, changes))) {
      throw new NotFoundError(`The client ${clientId} was deleted during the update.`);
    }
    return {
      text: [`Updated client ${clientId}.`, clientText(updated), CACHE_NOTE].join('\n'),
      json: { client: clientJson(updated) },
    };
  },
};

const rotateSecret: CommandSpec = {
  name: 'rotate-secret',
  summary: 'Replace the secret of a confidential client with a new one, shown once',
  arguments: ['client-id'],
  options: {},
  notes: [
    'The previous secret stops working at once in new function instances, and in warm ones ' +
      'within MEMORY_CACHE_SECONDS (60 by default). The new secret works at once everywhere.',
  ],
  async run(invocation) {
    const clientId = invocation.arguments[0] ?? '';
    const clients = await openClients(invocation);
    const client = await findExisting(clients, clientId);
    checkHasSecret(client);
    await invocation.confirm(
      `Replace the secret of client ${clientId}? Apps that use the current one will fail.`,
    );

    const secret = generateClientSecret();
    const secretHash = await hashClientSecret(secret);
    if (!(await clients.updateClient(clientId, { secretHash }))) {
      throw new NotFoundError(`The client ${clientId} was deleted before its secret was replaced.`);
    }
    return {
      text: [
        `Replaced the secret of client ${clientId}.`,
        `client secret: ${secret}`,
        SECRET_NOTE,
      ].join('\n'),
      json: { clientId, clientSecret: secret },
    };
  },
};

function checkHasSecret(client: RegisteredClient): void {
  const method = client.tokenEndpointAuthMethod;
  if (method === 'client_secret_basic' || method === 'client_secret_post') return;
  const instead =
    method === 'private_key_jwt'
      ? "Replace its public keys with 'clients update --jwks-file'."
      : 'A public client has no secret.';
  throw new UsageError(`The client ${client.clientId} uses ${method}, not a secret. ${instead}`);
}

const remove: CommandSpec = {
  name: 'delete',
  summary: 'Delete a client; its tokens stop working at the token endpoint and introspection',
  arguments: ['client-id'],
  options: {},
  notes: [CACHE_NOTE],
  async run(invocation) {
    const clientId = invocation.arguments[0] ?? '';
    const clients = await openClients(invocation);
    const client = await clients.findClient(clientId);
    // Without a client there is nothing to lose, only a directory entry to remove, if any.
    if (client !== undefined) {
      await invocation.confirm(`Delete client ${clientId}? This cannot be undone.`);
    }
    if (!(await clients.deleteClient(clientId))) {
      throw new NotFoundError(`The client ${clientId} does not exist.`);
    }
    const text =
      client === undefined
        ? `Removed the directory entry of client ${clientId}, whose client was already deleted.`
        : `Deleted client ${clientId}. ${CACHE_NOTE}`;
    return { text, json: { clientId, deleted: true } };
  },
};

export const clientCommands: GroupSpec = {
  name: 'clients',
  summary: 'Register, list, show, change and delete OAuth clients',
  commands: [create, list, show, update, rotateSecret, remove],
};
