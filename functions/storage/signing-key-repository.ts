/**
 * Signing keys in the table, all in one partition. Every write is a single-item conditional
 * write: creations on the item's absence, changes and deletions on the state and version that
 * the writer read. Items written before key states existed have neither attribute. They read
 * as `current` keys of version 0, and a write to them requires both attributes to be absent.
 */
import {
  DeleteCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import {
  SIGNING_ALGORITHMS,
  SIGNING_KEY_STATES,
  type SigningKeyStore,
  type SigningKeyUpdate,
  type StoredSigningKey,
} from '../oauth/signing-keys.ts';
import { isConditionalCheckFailure, storageCall, StorageUnavailableError } from './errors.ts';
import { SIGNING_KEY_PARTITION, signingKeyKey } from './table.ts';

const jwkSchema = z.looseObject({ kty: z.string() });

const encryptedPrivateKeySchema = z.object({
  keyEncryption: z.enum(['kms', 'local-file']),
  encryptedDataKey: z.string(),
  ciphertext: z.string(),
  iv: z.string(),
  tag: z.string(),
});

const signingKeyItemSchema = z.object({
  kid: z.string(),
  algorithm: z.enum(SIGNING_ALGORITHMS),
  generation: z.int(),
  state: z.optional(z.enum(SIGNING_KEY_STATES)),
  version: z.optional(z.int()),
  publicJwk: jwkSchema,
  encryptedPrivateKey: z.optional(encryptedPrivateKeySchema),
  privateJwk: z.optional(jwkSchema),
  createdAt: z.number(),
  activatedAt: z.optional(z.number()),
  retireAfter: z.optional(z.number()),
  revokedAt: z.optional(z.number()),
});

/** The attributes that an update may set besides the state and the version. */
const TIME_ATTRIBUTES = ['activatedAt', 'retireAfter', 'revokedAt'] as const;

export class SigningKeyRepository implements SigningKeyStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(documents: DynamoDBDocumentClient, tableName: string) {
    this.#documents = documents;
    this.#tableName = tableName;
  }

  async listSigningKeys(): Promise<StoredSigningKey[]> {
    const keys: StoredSigningKey[] = [];
    let startKey: Record<string, unknown> | undefined;

    do {
      const page = await storageCall('Query', () =>
        this.#documents.send(
          new QueryCommand({
            TableName: this.#tableName,
            KeyConditionExpression: 'pk = :partition',
            ExpressionAttributeValues: { ':partition': SIGNING_KEY_PARTITION },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) keys.push(toSigningKey(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);

    return keys;
  }

  /**
   * Writes the key only if no key of its algorithm and generation exists, so that concurrent
   * creators agree on one key.
   */
  async createSigningKey(key: StoredSigningKey): Promise<boolean> {
    const item = { ...signingKeyKey(key.algorithm, key.generation), ...toItem(key) };
    return this.#conditionally('PutItem', () =>
      this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async updateSigningKey(key: StoredSigningKey, update: SigningKeyUpdate): Promise<boolean> {
    const condition = expectedVersion(key);
    const set = ['#state = :state', '#version = :newVersion'];
    const remove: string[] = [];
    const values: Record<string, unknown> = {
      ...condition.values,
      ':state': update.state,
      ':newVersion': key.version + 1,
    };

    for (const attribute of TIME_ATTRIBUTES) {
      const value = update[attribute];
      if (value === undefined) continue;
      set.push(`${attribute} = :${attribute}`);
      values[`:${attribute}`] = value;
    }
    if (update.encryptedPrivateKey === null) {
      remove.push('encryptedPrivateKey', 'privateJwk');
    } else if (update.encryptedPrivateKey !== undefined) {
      set.push('encryptedPrivateKey = :encryptedPrivateKey');
      values[':encryptedPrivateKey'] = update.encryptedPrivateKey;
      remove.push('privateJwk');
    }

    let expression = `SET ${set.join(', ')}`;
    if (remove.length > 0) expression += ` REMOVE ${remove.join(', ')}`;
    return this.#conditionally('UpdateItem', () =>
      this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: signingKeyKey(key.algorithm, key.generation),
          UpdateExpression: expression,
          ConditionExpression: condition.expression,
          ExpressionAttributeNames: { '#state': 'state', '#version': 'version' },
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  async deleteSigningKey(key: StoredSigningKey): Promise<boolean> {
    const condition = expectedVersion(key);
    return this.#conditionally('DeleteItem', () =>
      this.#documents.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: signingKeyKey(key.algorithm, key.generation),
          ConditionExpression: condition.expression,
          ExpressionAttributeNames: { '#state': 'state', '#version': 'version' },
          ...(Object.keys(condition.values).length > 0
            ? { ExpressionAttributeValues: condition.values }
            : {}),
        }),
      ),
    );
  }

  /** Runs a conditional write; returns false when its condition failed. */
  async #conditionally(operation: string, write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw new StorageUnavailableError(operation, error);
    }
  }
}

/**
 * The condition that the stored key still has the state and version that `key` was read
 * with. `attribute_exists(pk)` keeps an update from creating a deleted key anew.
 */
function expectedVersion(key: StoredSigningKey): {
  expression: string;
  values: Record<string, unknown>;
} {
  if (key.version === 0) {
    return {
      expression:
        'attribute_exists(pk) AND attribute_not_exists(#state) AND attribute_not_exists(#version)',
      values: {},
    };
  }
  return {
    expression: 'attribute_exists(pk) AND #state = :expectedState AND #version = :expectedVersion',
    values: { ':expectedState': key.state, ':expectedVersion': key.version },
  };
}

function toItem(key: StoredSigningKey): Record<string, unknown> {
  return signingKeyItemSchema.parse(key);
}

function toSigningKey(item: Record<string, unknown>): StoredSigningKey {
  const parsed = signingKeyItemSchema.safeParse(item);
  if (!parsed.success) {
    const problem = parsed.error.message;
    throw new Error(`The stored signing key ${String(item.sk)} is malformed: ${problem}`);
  }
  const { state, version, ...key } = parsed.data;
  return { ...key, state: state ?? 'current', version: version ?? 0 };
}
