/**
 * The runtime side of the administration commands `users sign-out` (the user's `signedOutAt`)
 * and `tokens revoke --client` (the client's `tokensRevokedBefore`): sessions, refresh token
 * families and access tokens that began before the cutoff stop counting, and later ones work.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../functions/oauth/access-token.ts';
import { findSignedInUser } from '../../functions/oauth/authorization.ts';
import { ClientAuthenticator } from '../../functions/oauth/client-authentication.ts';
import type { SecretHash } from '../../functions/oauth/client.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import { handleIntrospectionRequest } from '../../functions/oauth/introspection.ts';
import { RefreshTokens } from '../../functions/oauth/refresh-tokens.ts';
import { cutoffAfter, isBeforeCutoff } from '../../functions/oauth/revocation-cutoffs.ts';
import { handleTokenRequest } from '../../functions/oauth/token-endpoint.ts';
import { handleUserinfoRequest } from '../../functions/oauth/userinfo.ts';
import { authorizationContext, ISSUER, signIn, USER_ID } from './authorization-context.ts';
import { InMemoryClientStore, registeredClient, rejectedOAuthError } from './support.ts';
import {
  basicFor,
  form,
  hashSecret,
  tokenContext,
  type TestTokenContext,
} from './token-context.ts';
import {
  issueUserTokens,
  lookupContext,
  signServiceToken,
  tokenForm,
  type TestLookupContext,
} from './token-lookup-context.ts';
import { InMemoryUserStore, UNUSED_PASSWORD_HASH } from './user-stores.ts';

const AUTH_TIME = 1_704_067_000;

let secretHash: SecretHash;

beforeAll(async () => {
  secretHash = await hashSecret();
});

describe('cutoff helpers', () => {
  it('compares strictly before', () => {
    expect(isBeforeCutoff(99, 100)).toBe(true);
    expect(isBeforeCutoff(100, 100)).toBe(false);
    expect(isBeforeCutoff(101, 100)).toBe(false);
  });

  it('treats missing cutoff as none', () => {
    expect(isBeforeCutoff(0, undefined)).toBe(false);
  });

  it('cuts off the current second', () => {
    expect(cutoffAfter(1_700_000_000_000)).toBe(1_700_000_001);
    expect(cutoffAfter(1_700_000_000_999)).toBe(1_700_000_001);
  });
});

describe('sessions after sign-out', () => {
  it('ends session begun before sign-out', async () => {
    const context = authorizationContext();
    const { cookieValue, signedIn } = await signIn(context);
    const user = context.users.users.get(USER_ID);
    if (user !== undefined) user.signedOutAt = signedIn.session.authTime + 1;

    const found = await findSignedInUser(cookieValue, context);

    expect(found).toBeUndefined();
  });

  it('keeps session begun at cutoff', async () => {
    const context = authorizationContext();
    const { cookieValue, signedIn } = await signIn(context);
    const user = context.users.users.get(USER_ID);
    if (user !== undefined) user.signedOutAt = signedIn.session.authTime;

    const found = await findSignedInUser(cookieValue, context);

    expect(found?.user.userId).toBe(USER_ID);
  });
});

describe('refresh after revocation', () => {
  /** A token context whose users and web-app client the test can change. */
  function contextWithStores(): {
    context: TestTokenContext;
    clients: InMemoryClientStore;
    users: InMemoryUserStore;
  } {
    const context = tokenContext(secretHash);
    const clients = new InMemoryClientStore();
    clients.put(webApp());
    const users = new InMemoryUserStore();
    users.users.set(USER_ID, {
      userId: USER_ID,
      username: 'alice',
      passwordHash: UNUSED_PASSWORD_HASH,
      createdAt: 0,
    });
    context.clients = new ClientAuthenticator(clients, context.clock, 0);
    context.users = users;
    return { context, clients, users };
  }

  function webApp(tokensRevokedBefore?: number) {
    return registeredClient(secretHash, {
      clientId: 'web-app',
      grantTypes: ['authorization_code', 'refresh_token'],
      ...(tokensRevokedBefore === undefined ? {} : { tokensRevokedBefore }),
    });
  }

  async function issue(context: TestTokenContext): Promise<string> {
    return context.refreshTokens.issue({
      familyId: RefreshTokens.newFamilyId(),
      client: webApp(),
      userId: USER_ID,
      scopes: ['read'],
      authTime: AUTH_TIME,
    });
  }

  function refresh(context: TestTokenContext, refreshToken: string) {
    const parameters = form({ grant_type: 'refresh_token', refresh_token: refreshToken });
    return handleTokenRequest(parameters, basicFor('web-app'), context);
  }

  it('rejects family of signed-out user', async () => {
    const { context, users } = contextWithStores();
    const token = await issue(context);
    const user = users.users.get(USER_ID);
    if (user !== undefined) user.signedOutAt = AUTH_TIME + 1;

    const error = await rejectedOAuthError(refresh(context, token));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toContain('signed out');
  });

  it('keeps family signed in after cutoff', async () => {
    const { context, users } = contextWithStores();
    const token = await issue(context);
    const user = users.users.get(USER_ID);
    if (user !== undefined) user.signedOutAt = AUTH_TIME;

    const { response } = await refresh(context, token);

    expect(response.refresh_token).toBeDefined();
  });

  it('rejects family older than client cutoff', async () => {
    const { context, clients } = contextWithStores();
    const token = await issue(context);
    clients.put(webApp(epochSeconds(context.clock) + 1));

    const error = await rejectedOAuthError(refresh(context, token));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toContain('revoked');
  });

  it('leaves rejected token unused', async () => {
    const { context, clients } = contextWithStores();
    const token = await issue(context);
    clients.put(webApp(epochSeconds(context.clock) + 1));
    await rejectedOAuthError(refresh(context, token));
    clients.put(webApp());

    const { response } = await refresh(context, token);

    expect(response.refresh_token).toBeDefined();
  });

  it('accepts family created after cutoff', async () => {
    const { context, clients } = contextWithStores();
    clients.put(webApp(epochSeconds(context.clock)));
    const token = await issue(context);

    const { response } = await refresh(context, token);

    expect(response.access_token).toBeDefined();
  });
});

describe('introspection after revocation', () => {
  async function introspect(context: TestLookupContext, token: string) {
    const { response } = await handleIntrospectionRequest(
      tokenForm(token),
      basicFor('resource-server'),
      context,
    );
    return response;
  }

  async function setClientCutoff(context: TestLookupContext, clientId: string, cutoff: number) {
    const client = await context.clientStore.findClient(clientId);
    if (client === undefined) throw new Error(`no client ${clientId}`);
    context.clientStore.put({ ...client, tokensRevokedBefore: cutoff });
  }

  function signOutUser(context: TestLookupContext, cutoff: number) {
    const user = context.users.users.get(USER_ID);
    if (user === undefined) throw new Error('no test user');
    user.signedOutAt = cutoff;
  }

  it('reports active before any cutoff', async () => {
    const context = lookupContext(secretHash);
    const { accessToken, refreshToken } = await issueUserTokens(context);

    expect((await introspect(context, accessToken)).active).toBe(true);
    expect((await introspect(context, refreshToken)).active).toBe(true);
  });

  it('deactivates access token before client cutoff', async () => {
    const context = lookupContext(secretHash);
    const { accessToken } = await issueUserTokens(context);
    await setClientCutoff(context, 'web-app', epochSeconds(context.clock) + 1);

    expect(await introspect(context, accessToken)).toEqual({ active: false });
  });

  it('deactivates refresh token before client cutoff', async () => {
    const context = lookupContext(secretHash);
    const { refreshToken } = await issueUserTokens(context);
    await setClientCutoff(context, 'web-app', epochSeconds(context.clock) + 1);

    expect(await introspect(context, refreshToken)).toEqual({ active: false });
  });

  it('deactivates service token before client cutoff', async () => {
    const context = lookupContext(secretHash);
    const token = await signServiceToken(context, 'web-app');
    await setClientCutoff(context, 'web-app', epochSeconds(context.clock) + 1);

    expect(await introspect(context, token)).toEqual({ active: false });
  });

  it('keeps token issued at client cutoff', async () => {
    const context = lookupContext(secretHash);
    const { accessToken } = await issueUserTokens(context);
    await setClientCutoff(context, 'web-app', epochSeconds(context.clock));

    expect((await introspect(context, accessToken)).active).toBe(true);
  });

  it('ignores cutoff of another client', async () => {
    const context = lookupContext(secretHash);
    const { accessToken } = await issueUserTokens(context);
    await setClientCutoff(context, 'other-app', epochSeconds(context.clock) + 1);

    expect((await introspect(context, accessToken)).active).toBe(true);
  });

  it('deactivates access token of signed-out user', async () => {
    const context = lookupContext(secretHash);
    const { accessToken } = await issueUserTokens(context);
    signOutUser(context, epochSeconds(context.clock) + 1);

    expect(await introspect(context, accessToken)).toEqual({ active: false });
  });

  it('deactivates refresh token of signed-out user', async () => {
    const context = lookupContext(secretHash);
    const { refreshToken } = await issueUserTokens(context);
    // The family's sign-in, not the token's rotation, is what the sign-out compares.
    signOutUser(context, AUTH_TIME + 1);

    expect(await introspect(context, refreshToken)).toEqual({ active: false });
  });

  it('keeps service token after user sign-out', async () => {
    const context = lookupContext(secretHash);
    const token = await signServiceToken(context, 'web-app');
    signOutUser(context, epochSeconds(context.clock) + 1);

    expect((await introspect(context, token)).active).toBe(true);
  });

  it('deactivates token of deleted client', async () => {
    const context = lookupContext(secretHash);
    const token = await signServiceToken(context, 'deleted-app');

    expect(await introspect(context, token)).toEqual({ active: false });
  });

  it('deactivates token of disabled user', async () => {
    const context = lookupContext(secretHash);
    const { accessToken } = await issueUserTokens(context);
    const user = context.users.users.get(USER_ID);
    if (user !== undefined) user.disabled = true;

    expect(await introspect(context, accessToken)).toEqual({ active: false });
  });

  it('deactivates token of deleted user', async () => {
    const context = lookupContext(secretHash);
    const { accessToken } = await issueUserTokens(context);
    context.users.users.delete(USER_ID);

    expect(await introspect(context, accessToken)).toEqual({ active: false });
  });
});

describe('userinfo after sign-out', () => {
  async function userinfoFor(context: TestLookupContext, issuedAt: number) {
    const { token } = await signAccessToken(
      {
        issuer: ISSUER,
        subject: USER_ID,
        clientId: 'web-app',
        audience: 'https://api.example.com',
        scopes: ['openid'],
        issuedAt,
        lifetimeSeconds: 600,
      },
      await context.signingKeys.current(),
    );
    return handleUserinfoRequest(token, {
      issuer: ISSUER,
      signingKeys: context.signingKeys,
      clock: context.clock,
      users: context.users,
      revocations: { isAccessTokenRevoked: async () => false, isFamilyRevoked: async () => false },
    });
  }

  it('rejects token issued before sign-out', async () => {
    const context = lookupContext(secretHash);
    const now = epochSeconds(context.clock);
    const user = context.users.users.get(USER_ID);
    if (user !== undefined) user.signedOutAt = now;

    const error = await rejectedOAuthError(userinfoFor(context, now - 1));

    expect(error.error).toBe('invalid_token');
  });

  it('accepts token issued at sign-out', async () => {
    const context = lookupContext(secretHash);
    const now = epochSeconds(context.clock);
    const user = context.users.users.get(USER_ID);
    if (user !== undefined) user.signedOutAt = now;

    const claims = await userinfoFor(context, now);

    expect(claims.sub).toBe(USER_ID);
  });
});
