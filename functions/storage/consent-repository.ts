/** The scopes that each user has granted each client, as a string set per user and client. */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { epochSeconds, systemClock, type Clock } from '../oauth/clock.ts';
import type { ConsentStore } from '../oauth/users.ts';
import { storageCall } from './errors.ts';
import { consentKey, isExpired } from './table.ts';

/** The document client reads a DynamoDB string set as a Set. */
const consentItemSchema = z.object({ scopes: z.set(z.string()) });

export class ConsentRepository implements ConsentStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(documents: DynamoDBDocumentClient, tableName: string, clock: Clock = systemClock) {
    this.#documents = documents;
    this.#tableName = tableName;
    this.#clock = clock;
  }

  /** Returns the granted scopes in sorted order, or an empty list. */
  async findGrantedScopes(userId: string, clientId: string): Promise<string[]> {
    const { Item: item } = await storageCall('GetItem', () =>
      this.#documents.send(
        new GetCommand({ TableName: this.#tableName, Key: consentKey(userId, clientId) }),
      ),
    );
    if (item === undefined || isExpired(item, epochSeconds(this.#clock))) return [];

    const parsed = consentItemSchema.safeParse(item);
    if (!parsed.success) {
      throw new Error(
        `The stored consent of user ${userId} for client ${clientId} is malformed: ` +
          parsed.error.message,
      );
    }
    return [...parsed.data.scopes].sort();
  }

  /** Adds the scopes to the set with one UpdateItem, so concurrent grants both persist. */
  async grantScopes(userId: string, clientId: string, scopes: string[]): Promise<void> {
    // DynamoDB rejects an empty set.
    if (scopes.length === 0) return;

    await storageCall('UpdateItem', () =>
      this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: consentKey(userId, clientId),
          UpdateExpression:
            'ADD scopes :scopes SET userId = :userId, clientId = :clientId, updatedAt = :now',
          ExpressionAttributeValues: {
            ':scopes': new Set(scopes),
            ':userId': userId,
            ':clientId': clientId,
            ':now': this.#clock.now(),
          },
        }),
      ),
    );
  }
}
