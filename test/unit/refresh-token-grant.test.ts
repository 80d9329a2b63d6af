import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredClient, SecretHash } from '../../functions/oauth/client.ts';
import { hashSecretValue } from '../../functions/oauth/grant-records.ts';
import { RefreshTokens } from '../../functions/oauth/refresh-tokens.ts';
import { handleTokenRequest } from '../../functions/oauth/token-endpoint.ts';
import { USER_ID } from './authorization-context.ts';
import { registeredClient, rejectedOAuthError } from './support.ts';
import { InMemoryUserStore } from './user-stores.ts';
import {
  basicFor,
  form,
  hashSecret,
  tokenContext,
  type TestTokenContext,
} from './token-context.ts';

describe('refresh_token grant', () => {
  let secretHash: SecretHash;

  beforeAll(async () => {
    secretHash = await hashSecret();
  });

  /** Starts a family of web-app for the scopes `read` and `write`; returns its first token. */
  async function issue(context: TestTokenContext, clientId = 'web-app'): Promise<string> {
    const client: RegisteredClient = registeredClient(secretHash, { clientId });
    return context.refreshTokens.issue({
      familyId: RefreshTokens.newFamilyId(),
      client,
      userId: USER_ID,
      scopes: ['read', 'write'],
      authTime: 1_704_067_000,
    });
  }

  async function refresh(
    context: TestTokenContext,
    refreshToken: string,
    extra: Record<string, string> = {},
    clientId = 'web-app',
  ) {
    const parameters = form({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
    return handleTokenRequest(parameters, basicFor(clientId), context);
  }

  it('issues access token and successor', async () => {
    const context = tokenContext(secretHash);
    const token = await issue(context);

    const { response, grantType } = await refresh(context, token);

    expect(grantType).toBe('refresh_token');
    expect(response.token_type).toBe('Bearer');
    expect(response.scope).toBe('read write');
    expect(response.refresh_token).toBeDefined();
    expect(response.refresh_token).not.toBe(token);
  });

  it('issues access token for user', async () => {
    const context = tokenContext(secretHash);
    const token = await issue(context);

    const { response } = await refresh(context, token);

    const payload = decodeJwt(response.access_token);
    expect(payload.sub).toBe(USER_ID);
    expect(payload.client_id).toBe('web-app');
    expect(payload.scope).toBe('read write');
  });

  it('rejects a disabled user', async () => {
    const context = tokenContext(secretHash);
    const users = new InMemoryUserStore();
    users.users.set(USER_ID, {
      userId: USER_ID,
      username: 'ada',
      passwordHash: { algorithm: 'scrypt', salt: '', hash: '', cost: 2, blockSize: 1, parallelization: 1 },
      disabled: true,
      createdAt: 0,
    });
    context.users = users;
    const token = await issue(context);

    const error = await rejectedOAuthError(refresh(context, token));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe('The user of this refresh token is disabled or deleted.');
  });

  it('rejects a deleted user', async () => {
    const context = tokenContext(secretHash);
    context.users = new InMemoryUserStore();
    const token = await issue(context);

    const error = await rejectedOAuthError(refresh(context, token));

    expect(error.error).toBe('invalid_grant');
  });

  it('rejects missing refresh_token', async () => {
    const context = tokenContext(secretHash);
    const parameters = form({ grant_type: 'refresh_token' });

    const error = await rejectedOAuthError(
      handleTokenRequest(parameters, basicFor('web-app'), context),
    );

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe('The refresh_token parameter is missing.');
  });

  it('rejects client without refresh grant', async () => {
    const context = tokenContext(secretHash);
    const token = await issue(context, 'code-only');

    const error = await rejectedOAuthError(refresh(context, token, {}, 'code-only'));

    expect(error.error).toBe('unauthorized_client');
    expect(error.description).toBe('The client may not use the refresh_token grant.');
  });

  it('rejects token of another client', async () => {
    const context = tokenContext(secretHash);
    const token = await issue(context);

    const error = await rejectedOAuthError(refresh(context, token, {}, 'other-app'));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe('The refresh token was issued to another client.');
  });

  it('narrows scope on request', async () => {
    const context = tokenContext(secretHash);
    const token = await issue(context);

    const { response } = await refresh(context, token, { scope: 'read' });

    expect(response.scope).toBe('read');
    expect(decodeJwt(response.access_token).scope).toBe('read');
  });

  it('keeps granted scope after narrowing', async () => {
    const context = tokenContext(secretHash);
    const token = await issue(context);
    const narrowed = await refresh(context, token, { scope: 'read' });
    context.advance(60);

    const { response } = await refresh(context, narrowed.response.refresh_token ?? '');

    expect(response.scope).toBe('read write');
  });

  it('rejects wider scope', async () => {
    const context = tokenContext(secretHash);
    const token = await issue(context);

    const error = await rejectedOAuthError(refresh(context, token, { scope: 'read admin' }));

    expect(error.error).toBe('invalid_scope');
    expect(error.description).toBe('The scope exceeds the original grant: admin.');
  });

  it('keeps token after wider scope', async () => {
    const context = tokenContext(secretHash);
    const token = await issue(context);
    await rejectedOAuthError(refresh(context, token, { scope: 'read admin' }));

    const stored = context.refreshStore.tokens.get(hashSecretValue(token));
    expect(stored?.rotatedAt).toBeUndefined();
    expect(context.refreshStore.tokens.size).toBe(1);
  });

  it('refreshes after wider scope rejected', async () => {
    const context = tokenContext(secretHash);
    const token = await issue(context);
    await rejectedOAuthError(refresh(context, token, { scope: 'read admin' }));
    context.advance(60);

    const { response } = await refresh(context, token);

    expect(response.scope).toBe('read write');
  });

  it('rejects malformed scope', async () => {
    const context = tokenContext(secretHash);
    const token = await issue(context);

    const error = await rejectedOAuthError(refresh(context, token, { scope: 'read "write"' }));

    expect(error.error).toBe('invalid_scope');
    expect(context.refreshStore.tokens.get(hashSecretValue(token))?.rotatedAt).toBeUndefined();
  });

  it('returns same successor within grace', async () => {
    const context = tokenContext(secretHash);
    const token = await issue(context);
    const first = await refresh(context, token);
    context.advance(5);

    const retry = await refresh(context, token);

    expect(retry.response.refresh_token).toBe(first.response.refresh_token);
  });

  it('rejects reuse after grace', async () => {
    const context = tokenContext(secretHash);
    const token = await issue(context);
    const first = await refresh(context, token);
    context.advance(6);
    await rejectedOAuthError(refresh(context, token));

    const error = await rejectedOAuthError(refresh(context, first.response.refresh_token ?? ''));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe('The refresh token is invalid, expired or revoked.');
  });

  it('rejects unknown token', async () => {
    const context = tokenContext(secretHash);

    const error = await rejectedOAuthError(refresh(context, 'family.unknown-secret'));

    expect(error.error).toBe('invalid_grant');
  });
});
