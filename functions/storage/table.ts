/**
 * The single-table key design. Every item has a partition key `pk` and a sort key `sk`:
 *
 * | item           | pk                               | sk                              |
 * | -------------- | -------------------------------- | ------------------------------- |
 * | client         | `CLIENT#<clientId>`              | `CLIENT`                        |
 * | signing key    | `SIGNING_KEY`                    | `<alg>#<generation, 6 digits>`  |
 * | user           | `USER#<userId>`                  | `USER`                          |
 * | username       | `USERNAME#<normalized username>` | `USERNAME`                      |
 * | session        | `SESSION#<sessionHash>`          | `SESSION`                       |
 * | consent        | `CONSENT#<userId>`               | `CLIENT#<clientId>`             |
 * | login failures | `LOGIN_FAILURES#<counter>`       | `<window start, epoch seconds>` |
 * | interaction    | `INTERACTION#<interactionId>`    | `INTERACTION`                   |
 * | code           | `CODE#<codeHash>`                | `CODE`                          |
 * | refresh family | `REFRESH_FAMILY#<familyId>`      | `FAMILY`                        |
 * | refresh token  | `REFRESH_TOKEN#<tokenHash>`      | `TOKEN`                         |
 * | assertion jti  | `CLIENT_ASSERTION#<jtiHash>`     | `CLIENT_ASSERTION`              |
 * | revoked jti    | `REVOKED_JTI#<jti>`              | `JTI`                           |
 * | client entry   | `CLIENTS`                        | `<clientId>`                    |
 * | user entry     | `USERS`                          | `<normalized username>`         |
 *
 * All signing keys share one partition, so one Query loads them, and the sort key orders
 * each algorithm's keys by generation. A username item contains the `userId` of the user who
 * owns the username, and its conditional write makes usernames unique. Usernames are
 * normalized by `normalizeUsername`: trimmed, NFKC, lower case. Short-lived items carry
 * `expiresAt`, in seconds since the Unix epoch, which is the table's TTL attribute. DynamoDB
 * deletes expired items late, so every read treats an item past `expiresAt` as absent.
 *
 * The `CLIENTS` and `USERS` partitions are directories, so the administration commands list
 * clients and users with a paginated Query instead of a Scan. A client entry contains the
 * client id, a user entry the user id. Each entry is a write of its own beside the main item,
 * without a transaction, in an order that keeps the directory a superset: a create writes the
 * entry before the client or user item, and a delete removes it after. An interrupted create
 * or delete therefore leaves at most an entry without its item, which listings mark and a
 * repeated delete removes. The runtime never reads the directories. Each directory is one
 * partition, which DynamoDB limits to 1,000 writes per second: ample for administration, but
 * a bottleneck for self-service sign-up.
 */
import { normalizeUsername } from '../oauth/username.ts';

export const EXPIRES_AT_ATTRIBUTE = 'expiresAt';

export interface ItemKey {
  pk: string;
  sk: string;
}

export const clientKey = (clientId: string): ItemKey => ({ pk: `CLIENT#${clientId}`, sk: 'CLIENT' });

export const SIGNING_KEY_PARTITION = 'SIGNING_KEY';

export const signingKeyKey = (algorithm: string, generation: number): ItemKey => ({
  pk: SIGNING_KEY_PARTITION,
  sk: `${algorithm}#${String(generation).padStart(6, '0')}`,
});

export const userKey = (userId: string): ItemKey => ({ pk: `USER#${userId}`, sk: 'USER' });

export const CLIENT_DIRECTORY_PARTITION = 'CLIENTS';

/** A client's entry in the directory of clients, sorted by client id. */
export const clientDirectoryKey = (clientId: string): ItemKey => ({
  pk: CLIENT_DIRECTORY_PARTITION,
  sk: clientId,
});

export const USER_DIRECTORY_PARTITION = 'USERS';

/** A user's entry in the directory of users, sorted by normalized username. */
export const userDirectoryKey = (username: string): ItemKey => ({
  pk: USER_DIRECTORY_PARTITION,
  sk: normalizeUsername(username),
});

export const usernameKey = (username: string): ItemKey => ({
  pk: `USERNAME#${normalizeUsername(username)}`,
  sk: 'USERNAME',
});

export const sessionKey = (sessionHash: string): ItemKey => ({
  pk: `SESSION#${sessionHash}`,
  sk: 'SESSION',
});

export const consentKey = (userId: string, clientId: string): ItemKey => ({
  pk: `CONSENT#${userId}`,
  sk: `CLIENT#${clientId}`,
});

export const loginFailuresKey = (counter: string, windowStart: number): ItemKey => ({
  pk: `LOGIN_FAILURES#${counter}`,
  sk: String(windowStart),
});

/** Returns whether an item is past its expiry, even if TTL has not deleted it yet. */
export function isExpired(item: Record<string, unknown>, nowSeconds: number): boolean {
  const expiresAt = item[EXPIRES_AT_ATTRIBUTE];
  return typeof expiresAt === 'number' && expiresAt <= nowSeconds;
}

export const interactionKey = (interactionId: string): ItemKey => ({
  pk: `INTERACTION#${interactionId}`,
  sk: 'INTERACTION',
});

export const authorizationCodeKey = (codeHash: string): ItemKey => ({
  pk: `CODE#${codeHash}`,
  sk: 'CODE',
});

export const refreshFamilyKey = (familyId: string): ItemKey => ({
  pk: `REFRESH_FAMILY#${familyId}`,
  sk: 'FAMILY',
});

export const refreshTokenKey = (tokenHash: string): ItemKey => ({
  pk: `REFRESH_TOKEN#${tokenHash}`,
  sk: 'TOKEN',
});

/** A revoked access token, kept until the token would have expired. */
export const revokedAccessTokenKey = (jti: string): ItemKey => ({
  pk: `REVOKED_JTI#${jti}`,
  sk: 'JTI',
});

/** A used client assertion, by the SHA-256 of its client id and `jti`. */
export const clientAssertionKey = (jtiHash: string): ItemKey => ({
  pk: `CLIENT_ASSERTION#${jtiHash}`,
  sk: 'CLIENT_ASSERTION',
});
