/** Revoked access tokens in the table, one item per `jti`, deleted by TTL at the token's expiry. */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, type Clock } from '../oauth/clock.ts';
import type {
  RevokedAccessToken,
  RevokedAccessTokenStore,
} from '../oauth/revoked-access-tokens.ts';
import { isConditionalCheckFailure, storageCall, StorageUnavailableError } from './errors.ts';
import { isExpired, revokedAccessTokenKey } from './table.ts';

export class RevokedAccessTokenRepository implements RevokedAccessTokenStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(documents: DynamoDBDocumentClient, tableName: string, clock: Clock) {
    this.#documents = documents;
    this.#tableName = tableName;
    this.#clock = clock;
  }

  async revokeAccessToken(record: RevokedAccessToken): Promise<boolean> {
    const item = { ...revokedAccessTokenKey(record.jti), ...record };
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

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    const { Item: item } = await storageCall('GetItem', () =>
      this.#documents.send(
        new GetCommand({ TableName: this.#tableName, Key: revokedAccessTokenKey(jti) }),
      ),
    );
    return item !== undefined && !isExpired(item, epochSeconds(this.#clock));
  }
}
