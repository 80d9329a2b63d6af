/** Refresh token families and the hashes of their tokens. */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, type Clock } from '../oauth/clock.ts';
import type {
  RefreshFamily,
  RefreshTokenRecord,
  RefreshTokenStore,
} from '../oauth/grant-records.ts';
import { isConditionalCheckFailure, storageCall, StorageUnavailableError } from './errors.ts';
import { localWrites, type ConsumingWrites } from './regional-tables.ts';
import { isExpired, refreshFamilyKey, refreshTokenKey, type ItemKey } from './table.ts';

/** How long the tombstone of a family revoked before its creation is kept. */
const TOMBSTONE_SECONDS = 86_400;

export class RefreshTokenRepository implements RefreshTokenStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  readonly #consuming: ConsumingWrites;

  /** `consuming` routes rotations to the family's home region; the local replica by default. */
  constructor(
    documents: DynamoDBDocumentClient,
    tableName: string,
    clock: Clock,
    consuming: ConsumingWrites = localWrites(documents),
  ) {
    this.#documents = documents;
    this.#tableName = tableName;
    this.#clock = clock;
    this.#consuming = consuming;
  }

  /**
   * Creates the family unless its id exists. It exists already only when a replay of the code
   * that starts it revoked it first, leaving a tombstone.
   */
  async createFamily(family: RefreshFamily): Promise<boolean> {
    const item = {
      ...refreshFamilyKey(family.familyId),
      ...family,
      expiresAt: family.absoluteExpiresAt,
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

  markRotated(
    tokenHash: string,
    now: number,
    homeRegion: string | undefined,
  ): Promise<{ rotated: true } | { rotated: false; rotatedAt: number | undefined }> {
    return this.#consuming.consume(homeRegion, (documents) =>
      this.#markRotatedAt(documents, tokenHash, now),
    );
  }

  async #markRotatedAt(
    documents: DynamoDBDocumentClient,
    tokenHash: string,
    now: number,
  ): Promise<{ rotated: true } | { rotated: false; rotatedAt: number | undefined }> {
    try {
      await documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: refreshTokenKey(tokenHash),
          UpdateExpression: 'SET rotatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(rotatedAt)',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return { rotated: true };
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw new StorageUnavailableError('UpdateItem', error);
    }

    // The replica that refused the write knows when the token was rotated.
    const { Item: item } = await storageCall('GetItem', () =>
      documents.send(
        new GetCommand({
          TableName: this.#tableName,
          Key: refreshTokenKey(tokenHash),
          ConsistentRead: true,
        }),
      ),
    );
    const rotatedAt = item?.rotatedAt;
    return { rotated: false, rotatedAt: typeof rotatedAt === 'number' ? rotatedAt : undefined };
  }

  /**
   * Marks the family revoked. A family that does not exist yet gets a tombstone, so that a
   * code replayed before its first redemption has created the family still revokes it.
   */
  async revokeFamily(familyId: string, now: number): Promise<void> {
    await storageCall('UpdateItem', () =>
      this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: refreshFamilyKey(familyId),
          UpdateExpression:
            'SET revokedAt = if_not_exists(revokedAt, :now), ' +
            'expiresAt = if_not_exists(expiresAt, :tombstoneExpiry)',
          ExpressionAttributeValues: {
            ':now': now,
            ':tombstoneExpiry': now + TOMBSTONE_SECONDS,
          },
        }),
      ),
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
