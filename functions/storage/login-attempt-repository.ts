/** Counters of failed logins, one item per counter and time window. */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { epochSeconds, systemClock, type Clock } from '../oauth/clock.ts';
import type { LoginAttemptStore } from '../oauth/users.ts';
import { storageCall } from './errors.ts';
import { isExpired, loginFailuresKey } from './table.ts';

const counterItemSchema = z.object({ count: z.int() });

export class LoginAttemptRepository implements LoginAttemptStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(documents: DynamoDBDocumentClient, tableName: string, clock: Clock = systemClock) {
    this.#documents = documents;
    this.#tableName = tableName;
    this.#clock = clock;
  }

  /** Increments the counter atomically, creating it at 1, and returns the new value. */
  async recordFailure(counter: string, windowStart: number, expiresAt: number): Promise<number> {
    const { Attributes: attributes } = await storageCall('UpdateItem', () =>
      this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: loginFailuresKey(counter, windowStart),
          // COUNT is a DynamoDB reserved word, so the attribute needs a placeholder name.
          UpdateExpression: 'ADD #count :one SET expiresAt = :expiresAt',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':one': 1, ':expiresAt': expiresAt },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    return parseCount(attributes, counter);
  }

  async countFailures(counter: string, windowStart: number): Promise<number> {
    const { Item: item } = await storageCall('GetItem', () =>
      this.#documents.send(
        new GetCommand({
          TableName: this.#tableName,
          Key: loginFailuresKey(counter, windowStart),
        }),
      ),
    );
    if (item === undefined || isExpired(item, epochSeconds(this.#clock))) return 0;
    return parseCount(item, counter);
  }
}

function parseCount(item: Record<string, unknown> | undefined, counter: string): number {
  const parsed = counterItemSchema.safeParse(item);
  if (!parsed.success) {
    throw new Error(`The stored login failure counter ${counter} is malformed.`);
  }
  return parsed.data.count;
}
