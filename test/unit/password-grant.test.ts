/**
 * The resource owner password credentials grant through handleTokenRequest, with in-memory
 * users, login failure counters and refresh tokens around a frozen clock.
 */
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClientAuthenticator } from '../../functions/oauth/client-authentication.ts';
import type { SecretHash } from '../../functions/oauth/client.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import { TOO_MANY_ATTEMPTS, WRONG_CREDENTIALS } from '../../functions/oauth/grants/password.ts';
import { LoginRateLimiter, usernameCounter } from '../../functions/oauth/login-rate-limit.ts';
import { hashPassword } from '../../functions/oauth/password.ts';
import { handleTokenRequest } from '../../functions/oauth/token-endpoint.ts';
import type { LoginAttemptStore, PasswordHash } from '../../functions/oauth/users.ts';
import {
  InMemoryClientStore,
  registeredClient,
  rejectedOAuthError,
  rejectionOf,
} from './support.ts';
import {
  basicFor,
  form,
  hashSecret,
  tokenContext,
  type TestTokenContext,
} from './token-context.ts';
import { InMemoryUserStore } from './user-stores.ts';

const PASSWORD = 'alice-password-0123';
const USER_ID = 'user-alice';
const CLIENT_IP = '192.0.2.10';

/** Failure counters in a Map, keyed by counter and window start. */
class InMemoryLoginAttemptStore implements LoginAttemptStore {
  readonly counters = new Map<string, number>();

  async recordFailure(counter: string, windowStart: number): Promise<number> {
    const key = `${counter} ${windowStart}`;
    const count = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, count);
    return count;
  }

  async countFailures(counter: string, windowStart: number): Promise<number> {
    return this.counters.get(`${counter} ${windowStart}`) ?? 0;
  }

  total(counter: string): number {
    let sum = 0;
    for (const [key, count] of this.counters) if (key.startsWith(`${counter} `)) sum += count;
    return sum;
  }
}

let secretHash: SecretHash;
let passwordHash: PasswordHash;

beforeAll(async () => {
  [secretHash, passwordHash] = await Promise.all([hashSecret(), hashPassword(PASSWORD)]);
});

function setUp() {
  const base = tokenContext(secretHash);
  const clients = new InMemoryClientStore();
  clients.put(
    registeredClient(secretHash, {
      clientId: 'legacy-app',
      grantTypes: ['password', 'refresh_token'],
      scopes: ['read', 'write'],
    }),
  );
  clients.put(
    registeredClient(secretHash, { clientId: 'no-refresh', grantTypes: ['password'] }),
  );
  clients.put(
    registeredClient(secretHash, { clientId: 'modern-app', grantTypes: ['authorization_code'] }),
  );
  clients.put(
    registeredClient(secretHash, {
      clientId: 'public-legacy',
      secretHash: undefined,
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['password'],
    }),
  );

  const users = new InMemoryUserStore();
  users.users.set(USER_ID, {
    userId: USER_ID,
    username: 'alice',
    passwordHash,
    createdAt: base.clock.now(),
  });
  users.users.set('user-bob', {
    userId: 'user-bob',
    username: 'bob',
    passwordHash,
    disabled: true,
    createdAt: base.clock.now(),
  });

  const attempts = new InMemoryLoginAttemptStore();
  const context: TestTokenContext = {
    ...base,
    clients: new ClientAuthenticator(clients, base.clock, 60),
    users,
    loginRateLimiter: new LoginRateLimiter(attempts, base.clock),
  };
  return { context, attempts, users };
}

function passwordRequest(
  context: TestTokenContext,
  values: Record<string, string>,
  clientId = 'legacy-app',
) {
  const parameters = form({ grant_type: 'password', ...values });
  return handleTokenRequest(parameters, basicFor(clientId), context, CLIENT_IP);
}

function signIn(context: TestTokenContext, password = PASSWORD, username = 'alice') {
  return passwordRequest(context, { username, password });
}

describe('password grant', () => {
  describe('success', () => {
    it('issues access token for user', async () => {
      const { context } = setUp();

      const { response, grantType } = await signIn(context);

      expect(grantType).toBe('password');
      expect(response.token_type).toBe('Bearer');
      expect(response.expires_in).toBe(600);
      const claims = decodeJwt(response.access_token);
      expect(claims.sub).toBe(USER_ID);
      expect(claims.client_id).toBe('legacy-app');
      expect(claims.iat).toBe(epochSeconds(context.clock));
    });

    it('grants every client scope by default', async () => {
      const { context } = setUp();

      const { response } = await signIn(context);

      expect(response.scope).toBe('read write');
    });

    it('grants requested scope', async () => {
      const { context } = setUp();

      const { response } = await passwordRequest(context, {
        username: 'alice',
        password: PASSWORD,
        scope: 'read',
      });

      expect(response.scope).toBe('read');
      expect(decodeJwt(response.access_token).scope).toBe('read');
    });

    it('matches username case-insensitively', async () => {
      const { context } = setUp();

      const { response } = await signIn(context, PASSWORD, ' ALICE ');

      expect(decodeJwt(response.access_token).sub).toBe(USER_ID);
    });

    it('issues refresh token when allowed', async () => {
      const { context } = setUp();

      const { response } = await signIn(context);

      expect(response.refresh_token).toEqual(expect.any(String));
      const [family] = [...context.refreshStore.families.values()];
      expect(family?.userId).toBe(USER_ID);
      expect(family?.clientId).toBe('legacy-app');
      expect(family?.scopes).toEqual(['read', 'write']);
      expect(family?.authTime).toBe(epochSeconds(context.clock));
    });

    it('refresh token rotates', async () => {
      const { context } = setUp();
      const { response } = await signIn(context);
      const parameters = form({
        grant_type: 'refresh_token',
        refresh_token: String(response.refresh_token),
      });

      const refreshed = await handleTokenRequest(parameters, basicFor('legacy-app'), context);

      expect(decodeJwt(refreshed.response.access_token).sub).toBe(USER_ID);
      expect(refreshed.response.refresh_token).not.toBe(response.refresh_token);
    });

    it('issues no refresh token otherwise', async () => {
      const { context } = setUp();

      const { response } = await passwordRequest(
        context,
        { username: 'alice', password: PASSWORD },
        'no-refresh',
      );

      expect(response).not.toHaveProperty('refresh_token');
      expect(context.refreshStore.families.size).toBe(0);
    });

    it('accepts public client', async () => {
      const { context } = setUp();
      const parameters = form({
        grant_type: 'password',
        client_id: 'public-legacy',
        username: 'alice',
        password: PASSWORD,
      });

      const { response } = await handleTokenRequest(parameters, undefined, context, CLIENT_IP);

      expect(decodeJwt(response.access_token).sub).toBe(USER_ID);
    });
  });

  describe('client and request', () => {
    it('rejects client without password grant', async () => {
      const { context, attempts } = setUp();

      const error = await rejectedOAuthError(
        passwordRequest(context, { username: 'alice', password: PASSWORD }, 'modern-app'),
      );

      expect(error.error).toBe('unauthorized_client');
      expect(error.status).toBe(400);
      expect(error.description).toBe('The client may not use the password grant.');
      expect(attempts.counters.size).toBe(0);
    });

    it('rejects missing username', async () => {
      const { context } = setUp();

      const error = await rejectedOAuthError(passwordRequest(context, { password: PASSWORD }));

      expect(error.error).toBe('invalid_request');
      expect(error.description).toBe('The username parameter is missing.');
    });

    it('rejects missing password', async () => {
      const { context } = setUp();

      const error = await rejectedOAuthError(passwordRequest(context, { username: 'alice' }));

      expect(error.error).toBe('invalid_request');
      expect(error.description).toBe('The password parameter is missing.');
    });

    it('rejects scope not allowed', async () => {
      const { context, attempts } = setUp();

      const error = await rejectedOAuthError(
        passwordRequest(context, { username: 'alice', password: PASSWORD, scope: 'admin' }),
      );

      expect(error.error).toBe('invalid_scope');
      expect(error.description).toBe('The client may not request the scope: admin.');
      expect(attempts.counters.size).toBe(0);
    });

    it('fails without source IP', async () => {
      const { context } = setUp();

      const parameters = form({ grant_type: 'password', username: 'alice', password: PASSWORD });

      const thrown = await rejectionOf(
        handleTokenRequest(parameters, basicFor('legacy-app'), context),
      );

      expect(thrown).toBeInstanceOf(Error);
      expect((thrown as Error).message).toBe(
        'The password grant needs the source IP address of the request.',
      );
    });

    it('fails without rate limiter', async () => {
      const { context } = setUp();
      const withoutLimiter = { ...context, loginRateLimiter: undefined };

      const thrown = await rejectionOf(signIn(withoutLimiter));

      expect((thrown as Error).message).toBe(
        'The password grant needs users and loginRateLimiter in its context.',
      );
    });
  });

  describe('failures', () => {
    it('rejects wrong password', async () => {
      const { context } = setUp();

      const error = await rejectedOAuthError(signIn(context, 'wrong-password'));

      expect(error.error).toBe('invalid_grant');
      expect(error.status).toBe(400);
      expect(error.description).toBe(WRONG_CREDENTIALS);
    });

    it('rejects unknown user the same way', async () => {
      const { context } = setUp();

      const error = await rejectedOAuthError(signIn(context, PASSWORD, 'mallory'));

      expect(error.error).toBe('invalid_grant');
      expect(error.description).toBe(WRONG_CREDENTIALS);
    });

    it('rejects disabled user the same way', async () => {
      const { context } = setUp();

      const error = await rejectedOAuthError(signIn(context, PASSWORD, 'bob'));

      expect(error.error).toBe('invalid_grant');
      expect(error.description).toBe(WRONG_CREDENTIALS);
    });

    it('counts failure per username', async () => {
      const { context, attempts } = setUp();

      await rejectionOf(signIn(context, 'wrong-password'));
      await rejectionOf(signIn(context, PASSWORD, 'mallory'));

      expect(attempts.total(usernameCounter('alice'))).toBe(1);
      expect(attempts.total(usernameCounter('mallory'))).toBe(1);
      expect(attempts.total(`ip#${CLIENT_IP}`)).toBe(2);
    });

    it('counts no failure on success', async () => {
      const { context, attempts } = setUp();

      await signIn(context);

      expect(attempts.counters.size).toBe(0);
    });

  });

  describe('rate limits', () => {
    it('blocks right password after 5 failures', async () => {
      const { context } = setUp();
      for (let attempt = 0; attempt < 5; attempt++) {
        await rejectionOf(signIn(context, 'wrong-password'));
      }

      const error = await rejectedOAuthError(signIn(context));

      expect(error.error).toBe('invalid_grant');
      expect(error.status).toBe(400);
      expect(error.description).toBe(TOO_MANY_ATTEMPTS);
    });

    it('allows after 4 failures', async () => {
      const { context } = setUp();
      for (let attempt = 0; attempt < 4; attempt++) {
        await rejectionOf(signIn(context, 'wrong-password'));
      }

      const { response } = await signIn(context);

      expect(decodeJwt(response.access_token).sub).toBe(USER_ID);
    });

    it('blocks address after 20 failures', async () => {
      const { context } = setUp();
      for (let attempt = 0; attempt < 20; attempt++) {
        await rejectionOf(signIn(context, 'wrong-password', `user-${attempt}`));
      }

      const error = await rejectedOAuthError(signIn(context));

      expect(error.description).toBe(TOO_MANY_ATTEMPTS);
    });

    it('allows again in next window', async () => {
      const { context } = setUp();
      for (let attempt = 0; attempt < 5; attempt++) {
        await rejectionOf(signIn(context, 'wrong-password'));
      }
      context.advance(15 * 60);

      const { response } = await signIn(context);

      expect(decodeJwt(response.access_token).sub).toBe(USER_ID);
    });
  });
});

