/** Registered clients in the table. */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import type { ClientStore, RegisteredClient } from '../oauth/client.ts';
import { CLIENT_AUTHENTICATION_METHODS, GRANT_TYPES, RESPONSE_TYPES } from '../oauth/client.ts';
import { epochSeconds, type Clock } from '../oauth/clock.ts';
import { storageCall } from './errors.ts';
import { clientKey, isExpired } from './table.ts';

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
});

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

  /** Creates or replaces a client. */
  async saveClient(client: RegisteredClient): Promise<void> {
    const item = { ...clientKey(client.clientId), ...clientItemSchema.parse(client) };
    await storageCall('PutItem', () =>
      this.#documents.send(new PutCommand({ TableName: this.#tableName, Item: item })),
    );
  }
}
