/** Creates users directly in a test table, as an administrator would. */
import { randomUUID } from 'node:crypto';
import { systemClock } from '../../functions/oauth/clock.ts';
import { hashPassword } from '../../functions/oauth/password.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import type { User } from '../../functions/oauth/users.ts';
import { UserRepository } from '../../functions/storage/user-repository.ts';
import { LOCAL_CREDENTIALS, TEST_REGION, TEST_TABLE } from './dynalite.ts';

/**
 * Creates a user with a new random id and returns that id, the `sub` of the user's tokens.
 * `profile` sets the claims that the UserInfo endpoint returns.
 */
export async function createUser(
  endpoint: string,
  username: string,
  password: string,
  profile: Pick<User, 'name' | 'email' | 'emailVerified'> = {},
): Promise<string> {
  const documents = createDocumentClient({
    region: TEST_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  const users = new UserRepository(documents, TEST_TABLE, systemClock);
  const userId = randomUUID();

  const created = await users.createUser({
    userId,
    username,
    passwordHash: await hashPassword(password),
    ...profile,
    createdAt: Date.now(),
  });
  documents.destroy();
  if (!created) throw new Error(`The username ${username} is taken.`);
  return userId;
}
