/**
 * Deletes expired items in the strong consistency mode, which has no TTL. It walks the expiry
 * index hour by hour from a cursor stored in the table, deletes in small batches with a pause
 * between them, and stops after a bounded number of deletes per run, so it never scans the
 * table and never competes with requests for capacity.
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { epochSeconds, type Clock } from '../oauth/clock.ts';
import { isConditionalCheckFailure, storageCall, StorageUnavailableError } from './errors.ts';
import { bucketHour, bucketsOfHour, EXPIRY_INDEX_NAME, HOUR_SECONDS } from './expiry-index.ts';
import type { ItemKey } from './table.ts';

export interface SweepLimits {
  /** Items deleted per batch, before a pause. */
  batchSize: number;
  pauseMilliseconds: number;
  /** Items deleted per run; the next run goes on from the cursor. */
  maxDeletes: number;
  /** How far back the first run starts, in hours. */
  firstRunHours: number;
}

export const DEFAULT_SWEEP_LIMITS: SweepLimits = {
  batchSize: 25,
  pauseMilliseconds: 100,
  maxDeletes: 1_000,
  firstRunHours: 24,
};

export interface SweepResult {
  deleted: number;
  /** The first hour whose buckets may still hold expired items. */
  cursorHour: number;
  /** Whether the run stopped at maxDeletes with work left. */
  truncated: boolean;
}

const CURSOR_KEY: ItemKey = { pk: 'SWEEPER', sk: 'CURSOR' };

export class ExpiredItemSweeper {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;
  readonly #limits: SweepLimits;

  constructor(
    documents: DynamoDBDocumentClient,
    tableName: string,
    clock: Clock,
    limits: Partial<SweepLimits> = {},
  ) {
    this.#documents = documents;
    this.#tableName = tableName;
    this.#clock = clock;
    this.#limits = { ...DEFAULT_SWEEP_LIMITS, ...limits };
  }

  async sweep(): Promise<SweepResult> {
    const now = epochSeconds(this.#clock);
    const currentHour = bucketHour(now);
    let hour = (await this.#readCursor()) ?? currentHour - this.#limits.firstRunHours * HOUR_SECONDS;
    let deleted = 0;

    for (; hour <= currentHour; hour += HOUR_SECONDS) {
      for (const bucket of bucketsOfHour(hour)) {
        deleted += await this.#sweepBucket(bucket, now, this.#limits.maxDeletes - deleted);
        if (deleted >= this.#limits.maxDeletes) return { deleted, cursorHour: hour, truncated: true };
      }
      // The current hour can still receive items that expire later in it, and the hour before
      // stays open for writers whose clocks run a little behind.
      if (hour < currentHour - HOUR_SECONDS) await this.#writeCursor(hour + HOUR_SECONDS);
    }
    return { deleted, cursorHour: currentHour, truncated: false };
  }

  async #sweepBucket(bucket: string, now: number, budget: number): Promise<number> {
    let deleted = 0;
    while (deleted < budget) {
      const keys = await this.#expiredKeys(bucket, now, Math.min(this.#limits.batchSize, budget - deleted));
      if (keys.length === 0) return deleted;

      for (const key of keys) if (await this.#deleteIfExpired(key, now)) deleted++;
      await new Promise((resolve) => setTimeout(resolve, this.#limits.pauseMilliseconds));
    }
    return deleted;
  }

  async #expiredKeys(bucket: string, now: number, limit: number): Promise<ItemKey[]> {
    const page = await storageCall('Query', () =>
      this.#documents.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: EXPIRY_INDEX_NAME,
          KeyConditionExpression: 'expiryBucket = :bucket AND expiresAt <= :now',
          ExpressionAttributeValues: { ':bucket': bucket, ':now': now },
          Limit: limit,
        }),
      ),
    );
    return (page.Items ?? []).map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
  }

  /** Deletes an item unless a write renewed its expiry since the index was read. */
  async #deleteIfExpired(key: ItemKey, now: number): Promise<boolean> {
    try {
      await this.#documents.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: key,
          ConditionExpression: 'expiresAt <= :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw new StorageUnavailableError('DeleteItem', error);
    }
  }

  async #readCursor(): Promise<number | undefined> {
    const { Item: item } = await storageCall('GetItem', () =>
      this.#documents.send(new GetCommand({ TableName: this.#tableName, Key: CURSOR_KEY })),
    );
    return typeof item?.hour === 'number' ? item.hour : undefined;
  }

  async #writeCursor(hour: number): Promise<void> {
    await storageCall('PutItem', () =>
      this.#documents.send(
        new PutCommand({ TableName: this.#tableName, Item: { ...CURSOR_KEY, hour } }),
      ),
    );
  }
}
