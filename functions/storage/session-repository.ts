/** Browser sessions in the table, keyed by the SHA-256 hash of the session cookie's value. */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { epochSeconds, systemClock, type Clock } from '../oauth/clock.ts';
import type { Session, SessionStore } from '../oauth/users.ts';
import { storageCall } from './errors.ts';
import { isExpired, sessionKey } from './table.ts';

const sessionItemSchema = z.object({
  sessionHash: z.string(),
  userId: z.string(),
  authTime: z.int(),
  amr: z.array(z.string()),
  expiresAt: z.int(),
});

export class SessionRepository implements SessionStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(documents: DynamoDBDocumentClient, tableName: string, clock: Clock = systemClock) {
    this.#documents = documents;
    this.#tableName = tableName;
    this.#clock = clock;
  }

  /** Stores the session; DynamoDB's TTL deletes it some time after `expiresAt`. */
  async createSession(session: Session): Promise<void> {
    const item = { ...sessionKey(session.sessionHash), ...sessionItemSchema.parse(session) };
    await storageCall('PutItem', () =>
      this.#documents.send(new PutCommand({ TableName: this.#tableName, Item: item })),
    );
  }

  /**
   * Reads strongly consistently, because the request right after a login, such as the
   * redirect back to the authorization endpoint, must find the session just created.
   */
  async findSession(sessionHash: string): Promise<Session | undefined> {
    const { Item: item } = await storageCall('GetItem', () =>
      this.#documents.send(
        new GetCommand({
          TableName: this.#tableName,
          Key: sessionKey(sessionHash),
          ConsistentRead: true,
        }),
      ),
    );
    if (item === undefined || isExpired(item, epochSeconds(this.#clock))) return undefined;

    const parsed = sessionItemSchema.safeParse(item);
    if (!parsed.success) throw new Error(`A stored session is malformed: ${parsed.error.message}`);
    return parsed.data;
  }

  async deleteSession(sessionHash: string): Promise<void> {
    await storageCall('DeleteItem', () =>
      this.#documents.send(
        new DeleteCommand({ TableName: this.#tableName, Key: sessionKey(sessionHash) }),
      ),
    );
  }
}
