/** Users in the table, with one username item per user that keeps usernames unique. */
import {
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { epochSeconds, systemClock, type Clock } from '../oauth/clock.ts';
import { normalizeUsername } from '../oauth/username.ts';
import type { PasswordHash, User, UserStore } from '../oauth/users.ts';
import { isConditionalCheckFailure, storageCall, StorageUnavailableError } from './errors.ts';
import { isExpired, userKey, usernameKey, type ItemKey } from './table.ts';

const passwordHashSchema = z.object({
  algorithm: z.literal('scrypt'),
  salt: z.string(),
  hash: z.string(),
  cost: z.int(),
  blockSize: z.int(),
  parallelization: z.int(),
});

const userItemSchema = z.object({
  userId: z.string(),
  username: z.string(),
  passwordHash: passwordHashSchema,
  name: z.optional(z.string()),
  email: z.optional(z.string()),
  emailVerified: z.optional(z.boolean()),
  disabled: z.optional(z.boolean()),
  createdAt: z.int(),
});

const usernameItemSchema = z.object({ userId: z.string() });

export class UserRepository implements UserStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(documents: DynamoDBDocumentClient, tableName: string, clock: Clock = systemClock) {
    this.#documents = documents;
    this.#tableName = tableName;
    this.#clock = clock;
  }

  async findUserById(userId: string): Promise<User | undefined> {
    const item = await this.#getItem(userKey(userId));
    if (item === undefined) return undefined;

    const parsed = userItemSchema.safeParse(item);
    if (!parsed.success) {
      throw new Error(`The stored user ${userId} is malformed: ${parsed.error.message}`);
    }
    return parsed.data;
  }

  async findUserByUsername(username: string): Promise<User | undefined> {
    const item = await this.#getItem(usernameKey(username));
    if (item === undefined) return undefined;

    const parsed = usernameItemSchema.safeParse(item);
    if (!parsed.success) {
      throw new Error(`The stored username item is malformed: ${parsed.error.message}`);
    }
    const user = await this.findUserById(parsed.data.userId);
    // A username item whose user has another username is left over from a failed create.
    if (user === undefined || !sameUsername(user.username, username)) return undefined;
    return user;
  }

  /**
   * Claims the username, then writes the user; each is a conditional write. Returns false when
   * another user id owns the username, or when a user with this id exists already. A create
   * that failed between the two writes can be retried with the same user.
   */
  // NOTE: a create that fails between the writes and is never retried leaves the username
  // claimed by a user id without a user item. The username stays taken until that item is
  // deleted by hand.
  async createUser(user: User): Promise<boolean> {
    const item = { ...userKey(user.userId), ...userItemSchema.parse(user) };
    const claimed = await this.#putIfAbsent({
      Item: { ...usernameKey(user.username), userId: user.userId },
      ConditionExpression: 'attribute_not_exists(pk) OR userId = :userId',
      ExpressionAttributeValues: { ':userId': user.userId },
    });
    if (!claimed) return false;

    return this.#putIfAbsent({
      Item: item,
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  }

  /** Replaces a user's password hash, and throws if the user does not exist. */
  async setPassword(userId: string, passwordHash: PasswordHash): Promise<void> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: userKey(userId),
          UpdateExpression: 'SET passwordHash = :passwordHash',
          // Without the condition, UpdateItem would create an item with only the hash.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':passwordHash': passwordHashSchema.parse(passwordHash) },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) {
        throw new Error(`The user ${userId} does not exist, so its password cannot be set.`);
      }
      throw new StorageUnavailableError('UpdateItem', error);
    }
  }

  async #getItem(key: ItemKey): Promise<Record<string, unknown> | undefined> {
    const { Item: item } = await storageCall('GetItem', () =>
      this.#documents.send(new GetCommand({ TableName: this.#tableName, Key: key })),
    );
    if (item === undefined || isExpired(item, epochSeconds(this.#clock))) return undefined;
    return item;
  }

  /** Runs a conditional PutItem and returns false when its condition fails. */
  async #putIfAbsent(input: {
    Item: Record<string, unknown>;
    ConditionExpression: string;
    ExpressionAttributeValues?: Record<string, unknown>;
  }): Promise<boolean> {
    try {
      await this.#documents.send(new PutCommand({ TableName: this.#tableName, ...input }));
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw new StorageUnavailableError('PutItem', error);
    }
  }
}

function sameUsername(stored: string, requested: string): boolean {
  return normalizeUsername(stored) === normalizeUsername(requested);
}
