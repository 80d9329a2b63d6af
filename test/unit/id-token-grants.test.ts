/** ID tokens in the responses of the authorization code and refresh token grants. */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SecretHash } from '../../functions/oauth/client.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import { hashSecretValue, randomToken } from '../../functions/oauth/grant-records.ts';
import { tokenHash } from '../../functions/oauth/id-token.ts';
import { handleTokenRequest } from '../../functions/oauth/token-endpoint.ts';
import { ISSUER, REDIRECT_URI, USER_ID } from './authorization-context.ts';
import {
  basicFor,
  form,
  hashSecret,
  tokenContext,
  type TestTokenContext,
} from './token-context.ts';

/** Stores a code of web-app without PKCE for the scopes given, and returns the code. */
async function seedCode(
  context: TestTokenContext,
  scopes: string[],
  nonce?: string,
): Promise<string> {
  const code = randomToken();
  await context.codes.saveCode({
    codeHash: hashSecretValue(code),
    clientId: 'web-app',
    redirectUri: REDIRECT_URI,
    userId: USER_ID,
    scopes,
    ...(nonce === undefined ? {} : { nonce }),
    authTime: epochSeconds(context.clock) - 10,
    amr: ['pwd'],
    expiresAt: epochSeconds(context.clock) + 60,
  });
  return code;
}

async function redeem(context: TestTokenContext, code: string) {
  const parameters = form({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
  const { response } = await handleTokenRequest(parameters, basicFor('web-app'), context);
  return response;
}

async function refresh(context: TestTokenContext, refreshToken: string, scope?: string) {
  const parameters = form({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    ...(scope === undefined ? {} : { scope }),
  });
  const { response } = await handleTokenRequest(parameters, basicFor('web-app'), context);
  return response;
}

describe('ID token in code grant', () => {
  let secretHash: SecretHash;

  beforeAll(async () => {
    secretHash = await hashSecret();
  });

  it('issues ID token with openid scope', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context, ['openid', 'read'], 'nonce-1');

    const response = await redeem(context, code);

    const claims = decodeJwt(response.id_token ?? '');
    const now = epochSeconds(context.clock);
    expect(claims).toEqual({
      iss: ISSUER,
      sub: USER_ID,
      aud: 'web-app',
      azp: 'web-app',
      iat: now,
      exp: now + 300,
      auth_time: now - 10,
      amr: ['pwd'],
      nonce: 'nonce-1',
      at_hash: tokenHash(response.access_token, 'ES256'),
    });
  });

  it('omits nonce when request had none', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context, ['openid']);

    const response = await redeem(context, code);

    expect(decodeJwt(response.id_token ?? '')).not.toHaveProperty('nonce');
  });

  it('omits ID token without openid', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context, ['read']);

    const response = await redeem(context, code);

    expect(response).not.toHaveProperty('id_token');
  });

  it('signs with kid of published key', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context, ['openid']);

    const response = await redeem(context, code);

    const header = decodeProtectedHeader(response.id_token ?? '');
    const { keys } = await context.signingKeys.publicJwks();
    expect(header.typ).toBe('JWT');
    expect(keys.map((key) => key.kid)).toContain(header.kid);
  });
});

describe('ID token in refresh grant', () => {
  let secretHash: SecretHash;

  beforeAll(async () => {
    secretHash = await hashSecret();
  });

  it('issues new ID token on refresh', async () => {
    const context = tokenContext(secretHash);
    const first = await redeem(context, await seedCode(context, ['openid', 'read'], 'nonce-1'));
    context.advance(120);

    const response = await refresh(context, first.refresh_token ?? '');

    const original = decodeJwt(first.id_token ?? '');
    const renewed = decodeJwt(response.id_token ?? '');
    expect(renewed.sub).toBe(original.sub);
    expect(renewed.aud).toBe('web-app');
    expect(renewed.auth_time).toBe(original.auth_time);
    expect(renewed.iat).toBe(Number(original.iat) + 120);
    expect(renewed.at_hash).toBe(tokenHash(response.access_token, 'ES256'));
  });

  it('omits nonce on refresh', async () => {
    const context = tokenContext(secretHash);
    const first = await redeem(context, await seedCode(context, ['openid'], 'nonce-1'));

    const response = await refresh(context, first.refresh_token ?? '');

    expect(decodeJwt(response.id_token ?? '')).not.toHaveProperty('nonce');
  });

  it('omits ID token when refresh narrows away openid', async () => {
    const context = tokenContext(secretHash);
    const first = await redeem(context, await seedCode(context, ['openid', 'read']));

    const response = await refresh(context, first.refresh_token ?? '', 'read');

    expect(response).not.toHaveProperty('id_token');
  });
});
