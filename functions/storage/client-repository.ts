/** Registered clients in the table. */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import type { ClientStore, RegisteredClient } from '../oauth/client.ts';
import { CLIENT_AUTHENTICATION_METHODS, GRANT_TYPES, RESPONSE_TYPES } from '../oauth/client.ts';
import { epochSeconds, type Clock } from '../oauth/clock.ts';
import { SIGNING_ALGORITHMS } from '../oauth/signing-keys.ts';
import { storageCall } from './errors.ts';
import { clientKey, isExpired } from './table.ts';

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
