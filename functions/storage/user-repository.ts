/** Users in the table, with one username item per user that keeps usernames unique. */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { epochSeconds, systemClock, type Clock } from '../oauth/clock.ts';
import { normalizeUsername } from '../oauth/username.ts';
import type { PasswordHash, User, UserStore } from '../oauth/users.ts';
import { isConditionalCheckFailure, storageCall, StorageUnavailableError } from './errors.ts';
import {
  isExpired,
  USER_DIRECTORY_PARTITION,
  userDirectoryKey,
  userKey,
  usernameKey,
  type ItemKey,
} from './table.ts';

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
  signedOutAt: z.optional(z.int()),
});

const usernameItemSchema = z.object({ userId: z.string() });

/** A user's entry in the user directory. */
export interface UserDirectoryEntry {
  normalizedUsername: string;
  userId: string;
}

/** One page of the user directory. */
export interface UserDirectoryPage {
  entries: UserDirectoryEntry[];
  /** The normalized username of this page's last entry when more may follow; pass as `after`. */
  next?: string;
}

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
   * Returns the user id that owns a username, from the username item alone. It may name a user
   * that an interrupted create or delete left without a user item.
   */
  async findUsernameOwner(username: string): Promise<string | undefined> {
    const item = await this.#getItem(usernameKey(username));
    if (item === undefined) return undefined;
    return usernameItemSchema.parse(item).userId;
  }

  /**
   * Claims the username, writes the directory entry, then writes the user; the claim and the
   * user are conditional writes. Returns false when another user id owns the username, or when
   * a user with this id exists already. A create that failed between the writes can be retried
   * with the same user.
   */
  // NOTE: a create that fails between the writes and is never retried leaves the username
  // claimed by a user id without a user item. The username stays taken until
  // `oauth-admin users delete <username>` removes the claim.
  async createUser(user: User): Promise<boolean> {
    const item = { ...userKey(user.userId), ...userItemSchema.parse(user) };
    const claimed = await this.#putIfAbsent({
      Item: { ...usernameKey(user.username), userId: user.userId },
      ConditionExpression: 'attribute_not_exists(pk) OR userId = :userId',
      ExpressionAttributeValues: { ':userId': user.userId },
    });
    if (!claimed) return false;

    // The claim made this user id the username's owner, so its entry replaces any other.
    const entry = { ...userDirectoryKey(user.username), userId: user.userId };
    await storageCall('PutItem', () =>
      this.#documents.send(new PutCommand({ TableName: this.#tableName, Item: entry })),
    );
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

  /** Sets or clears the disabled flag; returns false when the user does not exist. */
  async setDisabled(userId: string, disabled: boolean): Promise<boolean> {
    const update = disabled
      ? { UpdateExpression: 'SET disabled = :true', ExpressionAttributeValues: { ':true': true } }
      : { UpdateExpression: 'REMOVE disabled' };
    return this.#updateExisting(userId, update);
  }

  /**
   * Signs the user out everywhere: sessions and refresh token families whose sign-in is before
   * `cutoff`, in seconds since the Unix epoch, stop counting. A later cutoff already stored
   * stays. Returns false when the user does not exist.
   */
  async signOut(userId: string, cutoff: number): Promise<boolean> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: userKey(userId),
          UpdateExpression: 'SET signedOutAt = :cutoff',
          ConditionExpression:
            'attribute_exists(pk) AND ' +
            '(attribute_not_exists(signedOutAt) OR signedOutAt < :cutoff)',
          ExpressionAttributeValues: { ':cutoff': cutoff },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw new StorageUnavailableError('UpdateItem', error);
    }
    // The condition fails for a missing user and for a later cutoff that is already stored.
    return (await this.findUserById(userId)) !== undefined;
  }

  /**
   * Deletes the user item, then the directory entry, then the username item; the last two only
   * while they name this user. The username item goes last, so that a delete interrupted
   * earlier can be repeated by username. Returns false when none of the three existed.
   */
  async deleteUser(userId: string, username: string): Promise<boolean> {
    const ownedBy = {
      ConditionExpression: 'userId = :userId',
      ExpressionAttributeValues: { ':userId': userId },
    };
    const deleted = [
      await this.#delete({ Key: userKey(userId) }),
      await this.#delete({ Key: userDirectoryKey(username), ...ownedBy }),
      await this.#delete({ Key: usernameKey(username), ...ownedBy }),
    ];
    return deleted.includes(true);
  }

  /**
   * Reads one page of the user directory, in normalized username order, starting after
   * `after`. An entry whose user was never created or is being deleted is listed too.
   */
  async listUsers(options: { limit?: number; after?: string } = {}): Promise<UserDirectoryPage> {
    const { Items: items = [], LastEvaluatedKey: last } = await storageCall('Query', () =>
      this.#documents.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'pk = :directory',
          ExpressionAttributeValues: { ':directory': USER_DIRECTORY_PARTITION },
          ...(options.limit === undefined ? {} : { Limit: options.limit }),
          ...(options.after === undefined
            ? {}
            : { ExclusiveStartKey: userDirectoryKey(options.after) }),
        }),
      ),
    );
    const entries = items.map((item) => ({
      normalizedUsername: String(item.sk),
      userId: usernameItemSchema.parse(item).userId,
    }));
    const next = typeof last?.sk === 'string' ? last.sk : undefined;
    return next === undefined ? { entries } : { entries, next };
  }

  /** Runs an UpdateItem on an existing user; returns false when the user does not exist. */
  async #updateExisting(
    userId: string,
    update: { UpdateExpression: string; ExpressionAttributeValues?: Record<string, unknown> },
  ): Promise<boolean> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: userKey(userId),
          ConditionExpression: 'attribute_exists(pk)',
          ...update,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw new StorageUnavailableError('UpdateItem', error);
    }
  }

  /** Deletes an item, if its condition holds, and returns whether it did. */
  async #delete(input: {
    Key: ItemKey;
    ConditionExpression?: string;
    ExpressionAttributeValues?: Record<string, unknown>;
  }): Promise<boolean> {
    try {
      const { Attributes: old } = await this.#documents.send(
        new DeleteCommand({ TableName: this.#tableName, ReturnValues: 'ALL_OLD', ...input }),
      );
      return old !== undefined;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw new StorageUnavailableError('DeleteItem', error);
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
