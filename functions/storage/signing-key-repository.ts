/** Signing keys in the table, all in one partition. */
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JWK } from 'jose';
import type { SigningKeyStore, StoredSigningKey } from '../oauth/signing-keys.ts';
import { isConditionalCheckFailure, storageCall, StorageUnavailableError } from './errors.ts';
import { SIGNING_KEY_PARTITION, signingKeyKey } from './table.ts';

interface SigningKeyItem {
  kid: string;
  algorithm: StoredSigningKey['algorithm'];
  generation: number;
  publicJwk: JWK;
  privateJwk: JWK;
  createdAt: number;
}

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
      for (const item of page.Items ?? []) keys.push(toSigningKey(item as SigningKeyItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);

    return keys;
  }

  /**
   * Writes the key only if no key of its algorithm and generation exists, so that concurrent
   * creators agree on one key.
   */
  // NOTE: the private JWK is stored unencrypted, so read access to the table grants signing
  // power; IAM limits that access to the functions that sign.
  async createSigningKey(key: StoredSigningKey): Promise<boolean> {
    const item: SigningKeyItem & { pk: string; sk: string } = {
      ...signingKeyKey(key.algorithm, key.generation),
      ...toItem(key),
    };
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
}

function toItem(key: StoredSigningKey): SigningKeyItem {
  const { kid, algorithm, generation, publicJwk, privateJwk, createdAt } = key;
  return { kid, algorithm, generation, publicJwk, privateJwk, createdAt };
}

function toSigningKey(item: SigningKeyItem): StoredSigningKey {
  return toItem(item);
}
