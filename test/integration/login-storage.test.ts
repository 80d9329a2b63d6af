/**
 * The repositories of users, sessions, consents and login failures against a real dynalite:
 * conditional writes, expiry on read, set merges and atomic counters.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginRateLimiter } from '../../functions/oauth/login-rate-limit.ts';
import type { Session, User } from '../../functions/oauth/users.ts';
import { ConsentRepository } from '../../functions/storage/consent-repository.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { LoginAttemptRepository } from '../../functions/storage/login-attempt-repository.ts';
import { SessionRepository } from '../../functions/storage/session-repository.ts';
import { UserRepository } from '../../functions/storage/user-repository.ts';
import {
  LOCAL_CREDENTIALS,
  startTestTable,
  TEST_REGION,
  TEST_TABLE,
  type TestTable,
} from '../support/dynalite.ts';
import { FrozenClock, START_TIME } from '../unit/support.ts';

const START_SECONDS = START_TIME / 1000;

let table: TestTable;
let documents: DynamoDBDocumentClient;
let sequence = 0;

beforeAll(async () => {
  table = await startTestTable();
  documents = createDocumentClient({
    region: TEST_REGION,
    endpoint: table.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
});

afterAll(async () => {
  documents?.destroy();
  await table?.close();
});

/** Returns a name unique within this file, so tests share the table without colliding. */
function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}-${sequence}`;
}

function newUser(username: string, overrides: Partial<User> = {}): User {
  return {
    userId: unique('user'),
    username,
    passwordHash: {
      algorithm: 'scrypt',
      salt: 'c2FsdA',
      hash: 'aGFzaA',
      cost: 2 ** 15,
      blockSize: 8,
      parallelization: 1,
    },
    createdAt: START_TIME,
    ...overrides,
  };
}

async function rawItem(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const { Item: item } = await documents.send(
    new GetCommand({ TableName: TEST_TABLE, Key: { pk, sk } }),
  );
  return item;
}

describe('UserRepository', () => {
  const users = () => new UserRepository(documents, TEST_TABLE, new FrozenClock());

  it('finds created user by id', async () => {
    const user = newUser(unique('alice'), { name: 'Alice', email: 'a@example.com' });

    await users().createUser(user);
    const found = await users().findUserById(user.userId);

    expect(found).toEqual(user);
  });

  it('finds user by username in any case', async () => {
    const user = newUser(unique('Alice'));
    await users().createUser(user);

    const found = await users().findUserByUsername(` ${user.username.toUpperCase()} `);

    expect(found?.userId).toBe(user.userId);
  });

  it('returns undefined for unknown username', async () => {
    const found = await users().findUserByUsername(unique('nobody'));

    expect(found).toBeUndefined();
  });

  it('returns undefined for unknown id', async () => {
    const found = await users().findUserById(unique('missing'));

    expect(found).toBeUndefined();
  });

  it('rejects taken username in other case', async () => {
    const username = unique('bob');
    await users().createUser(newUser(username));

    const created = await users().createUser(newUser(username.toUpperCase()));

    expect(created).toBe(false);
  });

  it('creates username once under concurrency', async () => {
    const username = unique('carol');
    const candidates = Array.from({ length: 10 }, () => newUser(username));

    const results = await Promise.all(candidates.map((user) => users().createUser(user)));

    expect(results.filter((created) => created)).toHaveLength(1);
    const winner = candidates[results.indexOf(true)];
    const found = await users().findUserByUsername(username);
    expect(found?.userId).toBe(winner?.userId);
  });

  it('stores no user item for losers', async () => {
    const username = unique('dave');
    const candidates = Array.from({ length: 10 }, () => newUser(username));

    const results = await Promise.all(candidates.map((user) => users().createUser(user)));

    const losers = candidates.filter((_, index) => !results[index]);
    const stored = await Promise.all(losers.map((user) => users().findUserById(user.userId)));
    expect(stored.filter((user) => user !== undefined)).toEqual([]);
  });

  it('completes create after failed user write', async () => {
    const user = newUser(unique('erin'));
    await documents.send(
      new PutCommand({
        TableName: TEST_TABLE,
        Item: { pk: `USERNAME#${user.username}`, sk: 'USERNAME', userId: user.userId },
      }),
    );

    const created = await users().createUser(user);

    expect(created).toBe(true);
    expect((await users().findUserByUsername(user.username))?.userId).toBe(user.userId);
  });

  it('rejects repeated create', async () => {
    const user = newUser(unique('frank'));
    await users().createUser(user);

    const created = await users().createUser(user);

    expect(created).toBe(false);
  });

  it('ignores username item without user', async () => {
    const username = unique('gina');
    await documents.send(
      new PutCommand({
        TableName: TEST_TABLE,
        Item: { pk: `USERNAME#${username}`, sk: 'USERNAME', userId: unique('ghost') },
      }),
    );

    const found = await users().findUserByUsername(username);

    expect(found).toBeUndefined();
  });

  it('sets password of existing user', async () => {
    const user = newUser(unique('ida'));
    await users().createUser(user);
    const passwordHash = { ...user.passwordHash, salt: 'bmV3LXNhbHQ', hash: 'bmV3LWhhc2g' };

    await users().setPassword(user.userId, passwordHash);

    expect((await users().findUserById(user.userId))?.passwordHash).toEqual(passwordHash);
  });

  it('rejects password of missing user', async () => {
    const userId = unique('missing');

    const failure = await users()
      .setPassword(userId, newUser('x').passwordHash)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Error);
    expect(String(failure)).toContain('does not exist');
    expect(await rawItem(`USER#${userId}`, 'USER')).toBeUndefined();
  });

  it('stores username item with user id', async () => {
    const user = newUser(unique('Hank'));

    await users().createUser(user);

    const item = await rawItem(`USERNAME#${user.username.toLowerCase()}`, 'USERNAME');
    expect(item?.userId).toBe(user.userId);
  });
});

describe('SessionRepository', () => {
  function session(overrides: Partial<Session> = {}): Session {
    return {
      sessionHash: unique('session-hash'),
      userId: 'user-1',
      authTime: START_SECONDS,
      amr: ['pwd'],
      expiresAt: START_SECONDS + 3600,
      ...overrides,
    };
  }

  it('finds created session', async () => {
    const sessions = new SessionRepository(documents, TEST_TABLE, new FrozenClock());
    const created = session();

    await sessions.createSession(created);
    const found = await sessions.findSession(created.sessionHash);

    expect(found).toEqual(created);
  });

  it('stores TTL attribute', async () => {
    const sessions = new SessionRepository(documents, TEST_TABLE, new FrozenClock());
    const created = session();

    await sessions.createSession(created);

    const item = await rawItem(`SESSION#${created.sessionHash}`, 'SESSION');
    expect(item?.expiresAt).toBe(START_SECONDS + 3600);
  });

  it('treats expired session as absent', async () => {
    const clock = new FrozenClock();
    const sessions = new SessionRepository(documents, TEST_TABLE, clock);
    const created = session();
    await sessions.createSession(created);

    clock.advance(3600 * 1000);
    const found = await sessions.findSession(created.sessionHash);

    expect(found).toBeUndefined();
  });

  it('finds session until expiry', async () => {
    const clock = new FrozenClock();
    const sessions = new SessionRepository(documents, TEST_TABLE, clock);
    const created = session();
    await sessions.createSession(created);

    clock.advance(3599 * 1000);
    const found = await sessions.findSession(created.sessionHash);

    expect(found?.sessionHash).toBe(created.sessionHash);
  });

  it('deletes session', async () => {
    const sessions = new SessionRepository(documents, TEST_TABLE, new FrozenClock());
    const created = session();
    await sessions.createSession(created);

    await sessions.deleteSession(created.sessionHash);

    expect(await sessions.findSession(created.sessionHash)).toBeUndefined();
  });

  it('returns undefined for unknown session', async () => {
    const sessions = new SessionRepository(documents, TEST_TABLE, new FrozenClock());

    const found = await sessions.findSession(unique('unknown'));

    expect(found).toBeUndefined();
  });
});

describe('ConsentRepository', () => {
  const consents = () => new ConsentRepository(documents, TEST_TABLE, new FrozenClock());

  it('returns no scopes without consent', async () => {
    const scopes = await consents().findGrantedScopes(unique('user'), 'client-1');

    expect(scopes).toEqual([]);
  });

  it('returns granted scopes sorted', async () => {
    const userId = unique('user');
    await consents().grantScopes(userId, 'client-1', ['profile', 'openid']);

    const scopes = await consents().findGrantedScopes(userId, 'client-1');

    expect(scopes).toEqual(['openid', 'profile']);
  });

  it('merges later grants', async () => {
    const userId = unique('user');
    await consents().grantScopes(userId, 'client-1', ['openid', 'profile']);

    await consents().grantScopes(userId, 'client-1', ['profile', 'email']);

    expect(await consents().findGrantedScopes(userId, 'client-1')).toEqual([
      'email',
      'openid',
      'profile',
    ]);
  });

  it('merges concurrent grants', async () => {
    const userId = unique('user');
    const grants = ['a', 'b', 'c', 'd', 'e'].map((scope) =>
      consents().grantScopes(userId, 'client-1', [scope]),
    );

    await Promise.all(grants);

    expect(await consents().findGrantedScopes(userId, 'client-1')).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
  });

  it('keeps clients apart', async () => {
    const userId = unique('user');
    await consents().grantScopes(userId, 'client-1', ['openid']);

    const scopes = await consents().findGrantedScopes(userId, 'client-2');

    expect(scopes).toEqual([]);
  });

  it('ignores empty grant', async () => {
    const userId = unique('user');

    await consents().grantScopes(userId, 'client-1', []);

    expect(await consents().findGrantedScopes(userId, 'client-1')).toEqual([]);
  });
});

describe('LoginAttemptRepository', () => {
  const attempts = (clock = new FrozenClock()) =>
    new LoginAttemptRepository(documents, TEST_TABLE, clock);

  it('counts from one', async () => {
    const counter = unique('counter');

    const first = await attempts().recordFailure(counter, START_SECONDS, START_SECONDS + 900);
    const second = await attempts().recordFailure(counter, START_SECONDS, START_SECONDS + 900);

    expect(first).toBe(1);
    expect(second).toBe(2);
  });

  it('returns recorded count', async () => {
    const counter = unique('counter');
    await attempts().recordFailure(counter, START_SECONDS, START_SECONDS + 900);
    await attempts().recordFailure(counter, START_SECONDS, START_SECONDS + 900);

    const count = await attempts().countFailures(counter, START_SECONDS);

    expect(count).toBe(2);
  });

  it('returns zero for unknown counter', async () => {
    const count = await attempts().countFailures(unique('counter'), START_SECONDS);

    expect(count).toBe(0);
  });

  it('counts concurrent failures', async () => {
    const counter = unique('counter');
    const failures = Array.from({ length: 10 }, () =>
      attempts().recordFailure(counter, START_SECONDS, START_SECONDS + 900),
    );

    const results = await Promise.all(failures);

    expect([...results].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await attempts().countFailures(counter, START_SECONDS)).toBe(10);
  });

  it('keeps windows apart', async () => {
    const counter = unique('counter');
    await attempts().recordFailure(counter, START_SECONDS, START_SECONDS + 900);

    const count = await attempts().countFailures(counter, START_SECONDS + 900);

    expect(count).toBe(0);
  });

  it('stores TTL attribute', async () => {
    const counter = unique('counter');

    await attempts().recordFailure(counter, START_SECONDS, START_SECONDS + 900);

    const item = await rawItem(`LOGIN_FAILURES#${counter}`, String(START_SECONDS));
    expect(item?.expiresAt).toBe(START_SECONDS + 900);
  });

  it('treats expired counter as zero', async () => {
    const counter = unique('counter');
    const clock = new FrozenClock();
    await attempts(clock).recordFailure(counter, START_SECONDS, START_SECONDS + 900);

    clock.advance(900 * 1000);
    const count = await attempts(clock).countFailures(counter, START_SECONDS);

    expect(count).toBe(0);
  });

  it('backs rate limiter', async () => {
    const clock = new FrozenClock();
    const limiter = new LoginRateLimiter(attempts(clock), clock);
    const username = unique('ivan');
    for (let attempt = 0; attempt < 5; attempt++) {
      await limiter.recordFailure(username, '192.0.2.1');
    }

    const blocked = await limiter.checkAllowed(username, '192.0.2.1');
    clock.advance(900 * 1000);
    const allowedLater = await limiter.checkAllowed(username, '192.0.2.1');

    expect(blocked).toBe(false);
    expect(allowedLater).toBe(true);
  });
});
