/**
 * The demo user and the demo public client of the local server, for trying the authorization
 * code flow. DEMO_USERNAME and DEMO_PASSWORD fix the user's credentials; otherwise the
 * password is generated on first start and printed once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { RegisteredClient } from '../../functions/oauth/client.ts';
import { hashPassword, verifyPassword } from '../../functions/oauth/password.ts';
import type { ClientRepository } from '../../functions/storage/client-repository.ts';
import type { UserRepository } from '../../functions/storage/user-repository.ts';

/** The loopback redirect URI of the demo public client; any port matches (RFC 8252). */
export const DEMO_REDIRECT_URI = 'http://127.0.0.1/callback';

/** The post-logout redirect URI of the demo public client; any port matches. */
export const DEMO_POST_LOGOUT_REDIRECT_URI = 'http://127.0.0.1/logged-out';

export type DemoUserOutcome =
  | { status: 'created'; username: string; generatedPassword?: string }
  | { status: 'updated' | 'unchanged'; username: string };

export async function seedDemoUser(
  users: UserRepository,
  username: string,
  configuredPassword: string | undefined,
): Promise<DemoUserOutcome> {
  const existing = await users.findUserByUsername(username);
  if (existing !== undefined) {
    if (configuredPassword === undefined) return { status: 'unchanged', username };
    if (await verifyPassword(configuredPassword, existing.passwordHash)) {
      return { status: 'unchanged', username };
    }
    await users.setPassword(existing.userId, await hashPassword(configuredPassword));
    return { status: 'updated', username };
  }

  const password = configuredPassword ?? randomBytes(12).toString('base64url');
  const created = await users.createUser({
    userId: randomUUID(),
    username,
    passwordHash: await hashPassword(password),
    name: 'Demo User',
    email: `${username}@example.com`,
    emailVerified: true,
    createdAt: Date.now(),
  });
  if (!created) {
    // Another local server on the same table created the user a moment ago.
    if ((await users.findUserByUsername(username)) !== undefined) {
      return { status: 'unchanged', username };
    }
    throw new Error(`The username ${username} is taken by a half-created user.`);
  }

  return configuredPassword === undefined
    ? { status: 'created', username, generatedPassword: password }
    : { status: 'created', username };
}

/** Creates or updates the demo public client, a single-page or native app without a secret. */
export async function seedDemoPublicClient(
  clients: ClientRepository,
  clientId: string,
): Promise<void> {
  const client: RegisteredClient = {
    clientId,
    clientName: 'Demo app',
    tokenEndpointAuthMethod: 'none',
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    redirectUris: [DEMO_REDIRECT_URI],
    postLogoutRedirectUris: [DEMO_POST_LOGOUT_REDIRECT_URI],
    scopes: ['openid', 'profile', 'email', 'offline_access', 'api:read'],
  };
  await clients.saveClient(client);
}
