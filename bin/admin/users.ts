/**
 * The `users` commands: create, list, show, change the password of, disable, enable, sign
 * out and delete users. A user is named by username or by user id.
 */
import { randomUUID } from 'node:crypto';
import { systemClock } from '../../functions/oauth/clock.ts';
import { hashPassword } from '../../functions/oauth/password.ts';
import type { User } from '../../functions/oauth/users.ts';
import { UserRepository } from '../../functions/storage/user-repository.ts';
import { columns } from './client-view.ts';
import {
  booleanOption,
  stringOption,
  type CommandSpec,
  type GroupSpec,
  type Invocation,
} from './command.ts';
import { OFFLINE_TOKENS_NOTE, revokeNow } from './cutoff.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { isoTime } from './io.ts';
import { collectPages, PAGING_OPTIONS, readPaging } from './paging.ts';
import { parseEmail, parseName, parseUsername, readPassword } from './user-input.ts';

const USER_ARGUMENT = 'user';
const USER_NOTE = 'A user is named by username or by user id; the username is tried first.';

const PASSWORD_STDIN = {
  type: 'boolean' as const,
  description: 'Read the password from standard input instead of asking on the terminal.',
};

async function openUsers(invocation: Invocation): Promise<UserRepository> {
  const table = await invocation.openTable();
  return new UserRepository(table.documents, table.tableName, systemClock);
}

/** Finds a user by username, then by user id, or throws a NotFoundError. */
async function findUser(users: UserRepository, reference: string): Promise<User> {
  const user =
    (await users.findUserByUsername(reference)) ?? (await users.findUserById(reference));
  if (user === undefined) throw new NotFoundError(`The user ${reference} does not exist.`);
  return user;
}

/** The JSON form of a user: no password hash, times in ISO 8601. */
function userJson(user: User): Record<string, unknown> {
  const { passwordHash: _passwordHash, createdAt, signedOutAt, ...rest } = user;
  return {
    ...rest,
    disabled: user.disabled === true,
    createdAt: isoTime(createdAt, 'milliseconds'),
    ...(signedOutAt === undefined ? {} : { signedOutAt: isoTime(signedOutAt, 'seconds') }),
  };
}

function userText(user: User): string {
  const signedOutAt = user.signedOutAt;
  const rows: [string, string | undefined][] = [
    ['username', user.username],
    ['user id', user.userId],
    ['status', user.disabled ? 'disabled' : 'enabled'],
    ['name', user.name],
    ['email', user.email],
    ['email verified', user.email === undefined ? undefined : yesNo(user.emailVerified)],
    ['created', isoTime(user.createdAt, 'milliseconds')],
    ['signed out', signedOutAt === undefined ? undefined : isoTime(signedOutAt, 'seconds')],
  ];
  return rows
    .filter((row): row is [string, string] => row[1] !== undefined)
    .map(([label, value]) => `${label}: ${value}`)
    .join('\n');
}

function yesNo(value: boolean | undefined): string {
  return value === true ? 'yes' : 'no';
}

const create: CommandSpec = {
  name: 'create',
  summary: 'Create a user; the password is asked on the terminal or read from standard input',
  arguments: ['username'],
  options: {
    name: {
      type: 'string',
      value: 'TEXT',
      description: 'Full name, the OpenID Connect name claim.',
    },
    email: { type: 'string', value: 'ADDRESS', description: 'Email address, the email claim.' },
    'email-verified': { type: 'boolean', description: 'Mark the email address as verified.' },
    'password-stdin': PASSWORD_STDIN,
  },
  notes: [
    'Example:\n' +
      "  printf '%s' \"$PASSWORD\" | oauth-admin users create alice --name 'Alice Liddell' \\\n" +
      '    --password-stdin',
    'Passwords have 8 to 1024 characters. The user id is a new random UUID, the sub claim of ' +
      "the user's tokens.",
  ],
  async run(invocation) {
    const username = parseUsername(invocation.arguments[0] ?? '');
    const name = stringOption(invocation.options, 'name');
    const email = stringOption(invocation.options, 'email');
    const profile = {
      ...(name === undefined ? {} : { name: parseName(name) }),
      ...(email === undefined ? {} : { email: parseEmail(email) }),
      ...(booleanOption(invocation.options, 'email-verified') ? { emailVerified: true } : {}),
    };
    const fromStdin = booleanOption(invocation.options, 'password-stdin') === true;
    const password = await readPassword(invocation.io, fromStdin);
    const user: User = {
      userId: randomUUID(),
      username,
      passwordHash: await hashPassword(password),
      ...profile,
      createdAt: Date.now(),
    };

    const users = await openUsers(invocation);
    if (!(await users.createUser(user))) throw await takenUsername(users, username);
    return {
      text: [`Created user ${username}.`, userText(user)].join('\n'),
      json: { user: userJson(user) },
    };
  },
};

/** Explains why a username is taken: by a user, or by a create that was interrupted. */
async function takenUsername(users: UserRepository, username: string): Promise<ConflictError> {
  const owner = await users.findUsernameOwner(username);
  const ownerExists = owner !== undefined && (await users.findUserById(owner)) !== undefined;
  if (ownerExists || owner === undefined) {
    return new ConflictError(`The username ${username} is taken. Choose another username.`);
  }
  return new ConflictError(
    `The username ${username} is claimed by user id ${owner}, whose create was interrupted. ` +
      `Release it with 'users delete ${username}', then create the user again.`,
  );
}

const list: CommandSpec = {
  name: 'list',
  summary: 'List the users, in username order',
  arguments: [],
  options: PAGING_OPTIONS,
  notes: ['--after takes a username, as the next value of the previous page shows it.'],
  async run(invocation) {
    const paging = readPaging(invocation.options);
    const users = await openUsers(invocation);
    const page = await collectPages(async (request) => {
      const directory = await users.listUsers(request);
      const next = directory.next === undefined ? {} : { next: directory.next };
      return { entries: directory.entries, ...next };
    }, (entry) => entry.normalizedUsername, paging);
    const found = await Promise.all(page.entries.map((entry) => users.findUserById(entry.userId)));
    const entries = page.entries.map((entry, index) => ({ entry, user: found[index] }));

    const rows = entries.map(({ entry, user }) =>
      user === undefined
        ? [entry.normalizedUsername, entry.userId, '(missing)', ORPHAN_NOTE]
        : [user.username, user.userId, user.disabled ? 'disabled' : 'enabled', user.name ?? ''],
    );
    const header = ['USERNAME', 'USER ID', 'STATUS', 'NAME'];
    const text = [
      rows.length === 0 ? 'No users.' : columns(header, rows),
      ...(page.next === undefined ? [] : [`More users follow: pass --after ${page.next}.`]),
    ];
    const json = entries.map(({ entry, user }) =>
      user === undefined
        ? { username: entry.normalizedUsername, userId: entry.userId, missing: true }
        : userJson(user),
    );
    return {
      text: text.join('\n'),
      json: { users: json, ...(page.next === undefined ? {} : { next: page.next }) },
    };
  },
};

/** Shown for a directory entry without its user, left by an interrupted create or delete. */
const ORPHAN_NOTE = "entry without a user; 'users delete' removes it";

const show: CommandSpec = {
  name: 'show',
  summary: 'Show a user, without the password hash',
  arguments: [USER_ARGUMENT],
  options: {},
  notes: [USER_NOTE],
  async run(invocation) {
    const user = await findUser(await openUsers(invocation), invocation.arguments[0] ?? '');
    return { text: userText(user), json: { user: userJson(user) } };
  },
};

const setPassword: CommandSpec = {
  name: 'set-password',
  summary: "Replace a user's password; the password is asked on the terminal or read from stdin",
  arguments: [USER_ARGUMENT],
  options: {
    'password-stdin': PASSWORD_STDIN,
    'sign-out': {
      type: 'boolean',
      description: 'Also sign the user out everywhere, as the sign-out command does.',
    },
  },
  notes: [USER_NOTE, 'Sessions and refresh tokens stay valid unless --sign-out is given.'],
  async run(invocation) {
    const users = await openUsers(invocation);
    const user = await findUser(users, invocation.arguments[0] ?? '');
    const fromStdin = booleanOption(invocation.options, 'password-stdin') === true;
    const passwordHash = await hashPassword(await readPassword(invocation.io, fromStdin));
    await users.setPassword(user.userId, passwordHash);

    const signOut = booleanOption(invocation.options, 'sign-out') === true;
    const cutoff = signOut ? await signOutEverywhere(users, user) : undefined;
    const signedOut = cutoff === undefined ? '' : ` ${signedOutText(user, cutoff)}`;
    return {
      text: `Replaced the password of user ${user.username}.${signedOut}`,
      json: {
        userId: user.userId,
        username: user.username,
        passwordChanged: true,
        ...(cutoff === undefined ? {} : { signedOutAt: isoTime(cutoff, 'seconds') }),
      },
    };
  },
};

function setDisabled(disabled: boolean): CommandSpec {
  const verb = disabled ? 'disable' : 'enable';
  return {
    name: verb,
    summary: disabled
      ? 'Disable a user: sign-in, refresh, UserInfo and introspection of its tokens fail'
      : 'Enable a disabled user again',
    arguments: [USER_ARGUMENT],
    options: {},
    notes: [USER_NOTE],
    async run(invocation) {
      const users = await openUsers(invocation);
      const user = await findUser(users, invocation.arguments[0] ?? '');
      if (!(await users.setDisabled(user.userId, disabled))) {
        throw new NotFoundError(`The user ${user.username} was deleted meanwhile.`);
      }
      return {
        text: `${disabled ? 'Disabled' : 'Enabled'} user ${user.username}.`,
        json: { userId: user.userId, username: user.username, disabled },
      };
    },
  };
}

const signOut: CommandSpec = {
  name: 'sign-out',
  summary: 'Sign a user out everywhere: end every session and refresh token of the user',
  arguments: [USER_ARGUMENT],
  options: {},
  notes: [
    USER_NOTE,
    'The user record keeps the time of the sign-out. Sessions and refresh token families ' +
      'that began before it stop working, and introspection and UserInfo report access ' +
      'tokens issued before it as invalid. The user can sign in again at once.',
  ],
  async run(invocation) {
    const users = await openUsers(invocation);
    const user = await findUser(users, invocation.arguments[0] ?? '');
    await invocation.confirm(
      `Sign out user ${user.username} everywhere? Every session and refresh token ends.`,
    );
    const cutoff = await signOutEverywhere(users, user);
    return {
      text: signedOutText(user, cutoff),
      json: {
        userId: user.userId,
        username: user.username,
        signedOutAt: isoTime(cutoff, 'seconds'),
      },
    };
  },
};

async function signOutEverywhere(users: UserRepository, user: User): Promise<number> {
  return revokeNow(async (cutoff) => {
    if (!(await users.signOut(user.userId, cutoff))) {
      throw new NotFoundError(`The user ${user.username} was deleted meanwhile.`);
    }
  });
}

function signedOutText(user: User, cutoff: number): string {
  return (
    `Signed out user ${user.username} everywhere: sessions and refresh tokens that began ` +
    `before ${isoTime(cutoff, 'seconds')} no longer work, and introspection and UserInfo ` +
    `reject access tokens issued before then. ${OFFLINE_TOKENS_NOTE}`
  );
}

const remove: CommandSpec = {
  name: 'delete',
  summary: 'Delete a user and release the username',
  arguments: [USER_ARGUMENT],
  options: {},
  notes: [
    USER_NOTE,
    "The user's sessions and refresh tokens stop working, because the user no longer exists. " +
      'Consents stay in the table, under the user id, which no new user gets.',
  ],
  async run(invocation) {
    const reference = invocation.arguments[0] ?? '';
    const users = await openUsers(invocation);
    const target = await findDeletable(users, reference);
    if (target.user !== undefined) {
      await invocation.confirm(`Delete user ${target.username}? This cannot be undone.`);
    }
    if (!(await users.deleteUser(target.userId, target.username))) {
      throw new NotFoundError(`The user ${reference} does not exist.`);
    }
    const text =
      target.user === undefined
        ? `Released the username ${target.username}, left by an interrupted create or delete.`
        : `Deleted user ${target.username}.`;
    return { text, json: { userId: target.userId, username: target.username, deleted: true } };
  },
};

/**
 * Finds what to delete: the user, or the username item that an interrupted create or delete
 * left without its user.
 */
async function findDeletable(
  users: UserRepository,
  reference: string,
): Promise<{ userId: string; username: string; user?: User }> {
  const user =
    (await users.findUserByUsername(reference)) ?? (await users.findUserById(reference));
  if (user !== undefined) return { userId: user.userId, username: user.username, user };

  const owner = await users.findUsernameOwner(reference);
  if (owner === undefined) throw new NotFoundError(`The user ${reference} does not exist.`);
  if ((await users.findUserById(owner)) !== undefined) {
    // Deleting by this username would delete a user who goes by another name.
    throw new ConflictError(
      `The username item of ${reference} names user id ${owner}, which has another username. ` +
        'Delete that user by its user id, or the username item by hand.',
    );
  }
  return { userId: owner, username: reference };
}

export const userCommands: GroupSpec = {
  name: 'users',
  summary: 'Create, list, show, disable, sign out and delete users',
  commands: [
    create,
    list,
    show,
    setPassword,
    setDisabled(true),
    setDisabled(false),
    signOut,
    remove,
  ],
};
