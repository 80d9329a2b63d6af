/** Refresh token families and the hashes of their tokens. */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, type Clock } from '../oauth/clock.ts';
import type {
  RefreshFamily,
  RefreshTokenRecord,
  RefreshTokenStore,
} from '../oauth/grant-records.ts';
import { isConditionalCheckFailure, storageCall, StorageUnavailableError } from './errors.ts';
import { isExpired, refreshFamilyKey, refreshTokenKey, type ItemKey } from './table.ts';

export class RefreshTokenRepository implements RefreshTokenStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(documents: DynamoDBDocumentClient, tableName: string, clock: Clock) {
    this.#documents = documents;
    this.#tableName = tableName;
    this.#clock = clock;
  }

  async createFamily(family: RefreshFamily): Promise<void> {
    const item = {
      ...refreshFamilyKey(family.familyId),
      ...family,
      expiresAt: family.absoluteExpiresAt,
    };
    await this.#put(item);
  }

  async findFamily(familyId: string): Promise<RefreshFamily | undefined> {
    const item = await this.#get(refreshFamilyKey(familyId));
    if (item === undefined) return undefined;
    const { pk: _pk, sk: _sk, expiresAt: _expiresAt, ...family } = item;
    return family as unknown as RefreshFamily;
  }

  async saveToken(record: RefreshTokenRecord): Promise<void> {
    const item = { ...refreshTokenKey(record.tokenHash), ...record };
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      // The token exists: a retried rotation derived the same successor, which stays as it is.
      if (!isConditionalCheckFailure(error)) throw new StorageUnavailableError('PutItem', error);
    }
  }

  async findToken(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const item = await this.#get(refreshTokenKey(tokenHash));
    if (item === undefined) return undefined;
    const { pk: _pk, sk: _sk, ...record } = item;
    return record as unknown as RefreshTokenRecord;
  }

  async markRotated(tokenHash: string, now: number): Promise<boolean> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: refreshTokenKey(tokenHash),
          UpdateExpression: 'SET rotatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(rotatedAt)',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw new StorageUnavailableError('UpdateItem', error);
    }
  }

  async revokeFamily(familyId: string, now: number): Promise<void> {
    await storageCall('UpdateItem', () =>
      this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: refreshFamilyKey(familyId),
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': now },
        }),
      ).catch((error: unknown) => {
        if (!isConditionalCheckFailure(error)) throw error;
      }),
    );
  }

  async #put(item: Record<string, unknown>): Promise<void> {
    await storageCall('PutItem', () =>
      this.#documents.send(new PutCommand({ TableName: this.#tableName, Item: item })),
    );
  }

  async #get(key: ItemKey): Promise<Record<string, unknown> | undefined> {
    const { Item: item } = await storageCall('GetItem', () =>
      this.#documents.send(new GetCommand({ TableName: this.#tableName, Key: key })),
    );
    if (item === undefined || isExpired(item, epochSeconds(this.#clock))) return undefined;
    return item;
  }
}
