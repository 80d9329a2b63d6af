/** Registered clients in the table. */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import type { ClientStore, RegisteredClient } from '../oauth/client.ts';
import { CLIENT_AUTHENTICATION_METHODS, GRANT_TYPES, RESPONSE_TYPES } from '../oauth/client.ts';
import { epochSeconds, type Clock } from '../oauth/clock.ts';
import { SIGNING_ALGORITHMS } from '../oauth/signing-keys.ts';
import { isConditionalCheckFailure, storageCall, StorageUnavailableError } from './errors.ts';
import {
  CLIENT_DIRECTORY_PARTITION,
  clientDirectoryKey,
  clientKey,
  isExpired,
} from './table.ts';

/** Members that only a private or symmetric JWK has (RFC 7518 section 6). */
const PRIVATE_KEY_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** A client's public key. The server must never hold a client's private or shared key. */
const publicJwkSchema = z.looseObject({
  kty: z.enum(['RSA', 'EC', 'OKP']),
  kid: z.optional(z.string()),
  alg: z.optional(z.string()),
  use: z.optional(z.string()),
}).check(
  z.refine((jwk) => PRIVATE_KEY_MEMBERS.every((member) => !(member in jwk)), {
    error: 'must be a public key, without private key members',
  }),
);

const clientItemSchema = z.object({
  clientId: z.string(),
  clientName: z.optional(z.string()),
  secretHash: z.optional(
    z.object({
      algorithm: z.literal('scrypt'),
      salt: z.string(),
      hash: z.string(),
      cost: z.int(),
      blockSize: z.int(),
      parallelization: z.int(),
    }),
  ),
  jwks: z.optional(z.object({ keys: z.array(publicJwkSchema) })),
  tokenEndpointAuthMethod: z.enum(CLIENT_AUTHENTICATION_METHODS),
  grantTypes: z.array(z.enum(GRANT_TYPES)),
  responseTypes: z.optional(z.array(z.enum(RESPONSE_TYPES))),
  redirectUris: z.optional(z.array(z.string())),
  scopes: z.array(z.string()),
  skipConsent: z.optional(z.boolean()),
  audience: z.optional(z.string()),
  accessTokenLifetimeSeconds: z.optional(z.int()),
  refreshTokenIdleSeconds: z.optional(z.int()),
  refreshTokenAbsoluteSeconds: z.optional(z.int()),
  introspection: z.optional(z.boolean()),
  idTokenSignedResponseAlg: z.optional(z.enum(SIGNING_ALGORITHMS)),
  postLogoutRedirectUris: z.optional(z.array(z.string())),
  tokensRevokedBefore: z.optional(z.int()),
});

/** Changes to a client's attributes: a member set to undefined removes the attribute. */
export type ClientChanges = Partial<Omit<RegisteredClient, 'clientId'>>;

/** One page of the client directory. */
export interface ClientIdPage {
  clientIds: string[];
  /** The last client id of this page when more may follow; pass it as `after`. */
  next?: string;
}

export class ClientRepository implements ClientStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(documents: DynamoDBDocumentClient, tableName: string, clock: Clock) {
    this.#documents = documents;
    this.#tableName = tableName;
    this.#clock = clock;
  }

  async findClient(clientId: string): Promise<RegisteredClient | undefined> {
    const { Item: item } = await storageCall('GetItem', () =>
      this.#documents.send(new GetCommand({ TableName: this.#tableName, Key: clientKey(clientId) })),
    );
    if (item === undefined || isExpired(item, epochSeconds(this.#clock))) return undefined;

    const parsed = clientItemSchema.safeParse(item);
    if (!parsed.success) {
      throw new Error(`The stored client ${clientId} is malformed: ${parsed.error.message}`);
    }
    return parsed.data;
  }

  /** Creates or replaces a client, and its directory entry. */
  async saveClient(client: RegisteredClient): Promise<void> {
    const item = { ...clientKey(client.clientId), ...clientItemSchema.parse(client) };
    await this.#putDirectoryEntry(client.clientId);
    await storageCall('PutItem', () =>
      this.#documents.send(new PutCommand({ TableName: this.#tableName, Item: item })),
    );
  }

  /** Creates a client and its directory entry; returns false when the client id is taken. */
  async createClient(client: RegisteredClient): Promise<boolean> {
    const item = { ...clientKey(client.clientId), ...clientItemSchema.parse(client) };
    await this.#putDirectoryEntry(client.clientId);
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw new StorageUnavailableError('PutItem', error);
    }
  }

  /**
   * Sets and removes attributes of an existing client with one UpdateItem, leaving the others
   * as they are, so that a concurrent change of another attribute is kept. Returns false when
   * the client does not exist. Writes the directory entry too, which a client saved before the
   * directory existed lacks.
   */
  async updateClient(clientId: string, changes: ClientChanges): Promise<boolean> {
    const names = Object.keys(changes);
    if (names.length === 0) return (await this.findClient(clientId)) !== undefined;
    const shape = clientItemSchema.shape;
    const unknown = names.filter((name) => name === 'clientId' || !(name in shape));
    if (unknown.length > 0) throw new Error(`Unknown client attributes: ${unknown.join(', ')}.`);

    const values: Record<string, unknown> = z.partial(clientItemSchema).parse(changes);
    const sets: string[] = [];
    const removals: string[] = [];
    const attributeNames: Record<string, string> = {};
    const attributeValues: Record<string, unknown> = {};
    names.forEach((name, index) => {
      attributeNames[`#n${index}`] = name;
      if (values[name] === undefined) {
        removals.push(`#n${index}`);
      } else {
        sets.push(`#n${index} = :v${index}`);
        attributeValues[`:v${index}`] = values[name];
      }
    });

    const clauses = [];
    if (sets.length > 0) clauses.push(`SET ${sets.join(', ')}`);
    if (removals.length > 0) clauses.push(`REMOVE ${removals.join(', ')}`);
    const updated = await this.#updateExisting(clientId, {
      UpdateExpression: clauses.join(' '),
      ExpressionAttributeNames: attributeNames,
      ...(sets.length > 0 ? { ExpressionAttributeValues: attributeValues } : {}),
    });
    if (updated) await this.#putDirectoryEntry(clientId);
    return updated;
  }

  /**
   * Revokes the tokens that the client received before `cutoff`, in seconds since the Unix
   * epoch. A later cutoff already stored stays. Returns false when the client does not exist.
   */
  async revokeTokensBefore(clientId: string, cutoff: number): Promise<boolean> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: clientKey(clientId),
          UpdateExpression: 'SET tokensRevokedBefore = :cutoff',
          ConditionExpression:
            'attribute_exists(pk) AND ' +
            '(attribute_not_exists(tokensRevokedBefore) OR tokensRevokedBefore < :cutoff)',
          ExpressionAttributeValues: { ':cutoff': cutoff },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw new StorageUnavailableError('UpdateItem', error);
    }
    // The condition fails for a missing client and for a later cutoff that is already stored.
    return (await this.findClient(clientId)) !== undefined;
  }

  /**
   * Deletes the client, then its directory entry. Returns false when neither existed; true
   * also when only an entry left by an interrupted create or delete was removed.
   */
  async deleteClient(clientId: string): Promise<boolean> {
    const deletedItem = await this.#delete(clientKey(clientId));
    const deletedEntry = await this.#delete(clientDirectoryKey(clientId));
    return deletedItem || deletedEntry;
  }

  /**
   * Reads one page of the client directory, in client id order, starting after `after`.
   * An entry whose client was never created or is being deleted is listed too.
   */
  async listClientIds(options: { limit?: number; after?: string } = {}): Promise<ClientIdPage> {
    const { Items: items = [], LastEvaluatedKey: last } = await storageCall('Query', () =>
      this.#documents.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'pk = :directory',
          ExpressionAttributeValues: { ':directory': CLIENT_DIRECTORY_PARTITION },
          ...(options.limit === undefined ? {} : { Limit: options.limit }),
          ...(options.after === undefined
            ? {}
            : { ExclusiveStartKey: clientDirectoryKey(options.after) }),
        }),
      ),
    );
    const clientIds = items.map((item) => String(item.sk));
    const next = typeof last?.sk === 'string' ? last.sk : undefined;
    return next === undefined ? { clientIds } : { clientIds, next };
  }

  async #putDirectoryEntry(clientId: string): Promise<void> {
    const item = { ...clientDirectoryKey(clientId), clientId };
    await storageCall('PutItem', () =>
      this.#documents.send(new PutCommand({ TableName: this.#tableName, Item: item })),
    );
  }

  /** Runs an UpdateItem on an existing client; returns false when the client does not exist. */
  async #updateExisting(
    clientId: string,
    update: {
      UpdateExpression: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: Record<string, unknown>;
    },
  ): Promise<boolean> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: clientKey(clientId),
          ConditionExpression: 'attribute_exists(pk)',
          ...update,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw new StorageUnavailableError('UpdateItem', error);
    }
  }

  /** Deletes an item and returns whether it existed. */
  async #delete(key: { pk: string; sk: string }): Promise<boolean> {
    const { Attributes: old } = await storageCall('DeleteItem', () =>
      this.#documents.send(
        new DeleteCommand({ TableName: this.#tableName, Key: key, ReturnValues: 'ALL_OLD' }),
      ),
    );
    return old !== undefined;
  }
}
