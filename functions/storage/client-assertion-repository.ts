/** Used client assertions, by the hash of client id and `jti`, kept until the assertion expires. */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AssertionUse, ClientAssertionStore } from '../oauth/client-assertion-verifier.ts';
import { isConditionalCheckFailure, StorageUnavailableError } from './errors.ts';
import { localWrites, type ConsumingWrites } from './regional-tables.ts';
import { clientAssertionKey } from './table.ts';

export class ClientAssertionRepository implements ClientAssertionStore {
  readonly #tableName: string;
  readonly #consuming: ConsumingWrites;

  constructor(
    documents: DynamoDBDocumentClient,
    tableName: string,
    consuming: ConsumingWrites = localWrites(documents),
  ) {
    this.#tableName = tableName;
    this.#consuming = consuming;
  }

  /**
   * Writes the use unless an unexpired one exists. An expired item that TTL has not deleted
   * yet counts as absent, as on every read.
   */
  // NOTE: a jti names no home region, because the client makes it, so the write goes to the
  // replica of the region that receives the assertion. In the eventual consistency mode, an
  // assertion replayed to another region before replication arrives is accepted there once
  // more. A fixed home region would close that gap, but at the cost of a cross-region write on
  // every authentication. The strong consistency mode closes it without one.
  recordUse(use: AssertionUse): Promise<boolean> {
    return this.#consuming.consume(undefined, (documents) => this.#recordAt(documents, use));
  }

  async #recordAt(documents: DynamoDBDocumentClient, use: AssertionUse): Promise<boolean> {
    try {
      await documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...clientAssertionKey(use.jtiHash),
            clientId: use.clientId,
            usedAt: use.now,
            expiresAt: use.expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': use.now },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw new StorageUnavailableError('PutItem', error);
    }
  }
}
