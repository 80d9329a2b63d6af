import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SecretHash } from '../../functions/oauth/client.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import {
  hashSecretValue,
  randomToken,
  type AuthorizationCodeRecord,
} from '../../functions/oauth/grant-records.ts';
import { s256Challenge } from '../../functions/oauth/pkce.ts';
import { handleTokenRequest } from '../../functions/oauth/token-endpoint.ts';
import { REDIRECT_URI, USER_ID } from './authorization-context.ts';
import { rejectedOAuthError } from './support.ts';
import {
  basicFor,
  form,
  hashSecret,
  tokenContext,
  type TestTokenContext,
} from './token-context.ts';

const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const OTHER_VERIFIER = 'a'.repeat(43);

/** Stores a code of web-app with a PKCE challenge of VERIFIER, and returns the code. */
async function seedCode(
  context: TestTokenContext,
  changes: Partial<AuthorizationCodeRecord> = {},
): Promise<string> {
  const code = randomToken();
  await context.codes.saveCode({
    codeHash: hashSecretValue(code),
    clientId: 'web-app',
    redirectUri: REDIRECT_URI,
    userId: USER_ID,
    scopes: ['read', 'write'],
    codeChallenge: s256Challenge(VERIFIER),
    authTime: epochSeconds(context.clock) - 10,
    amr: ['pwd'],
    expiresAt: epochSeconds(context.clock) + 60,
    ...changes,
  });
  return code;
}

/** Builds the form of a code redemption; undefined removes a parameter. */
function codeForm(code: string, changes: Record<string, string | undefined> = {}) {
  const values: Record<string, string | undefined> = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: VERIFIER,
    ...changes,
  };
  const entries = Object.entries(values).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  return form(Object.fromEntries(entries));
}

describe('authorization_code grant', () => {
  let secretHash: SecretHash;

  beforeAll(async () => {
    secretHash = await hashSecret();
  });

  async function redeem(
    context: TestTokenContext,
    code: string,
    changes: Record<string, string | undefined> = {},
    clientId = 'web-app',
  ) {
    return handleTokenRequest(codeForm(code, changes), basicFor(clientId), context);
  }

  it('issues access and refresh token', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);

    const { response, grantType } = await redeem(context, code);

    expect(grantType).toBe('authorization_code');
    expect(response.token_type).toBe('Bearer');
    expect(response.expires_in).toBe(600);
    expect(response.scope).toBe('read write');
    expect(response.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
  });

  it('issues access token for user', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);

    const { response } = await redeem(context, code);

    const payload = decodeJwt(response.access_token);
    expect(payload.sub).toBe(USER_ID);
    expect(payload.client_id).toBe('web-app');
    expect(payload.scope).toBe('read write');
  });

  it('starts refresh family of code', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);

    const { response } = await redeem(context, code);

    const familyId = response.refresh_token?.split('.')[0] ?? '';
    const record = context.codes.codes.get(hashSecretValue(code));
    const family = context.refreshStore.families.get(familyId);
    expect(record?.familyId).toBe(familyId);
    expect(record?.consumedAt).toBe(epochSeconds(context.clock));
    expect(family?.userId).toBe(USER_ID);
    expect(family?.scopes).toEqual(['read', 'write']);
    expect(family?.authTime).toBe(epochSeconds(context.clock) - 10);
  });

  it('omits refresh token without refresh grant', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context, { clientId: 'code-only' });

    const { response } = await redeem(context, code, {}, 'code-only');

    expect(response).not.toHaveProperty('refresh_token');
    expect(context.refreshStore.families.size).toBe(0);
    expect(context.codes.codes.get(hashSecretValue(code))?.familyId).toBeUndefined();
  });

  it('accepts public client with verifier', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context, { clientId: 'native-app' });
    const parameters = codeForm(code, { client_id: 'native-app' });

    const { response } = await handleTokenRequest(parameters, undefined, context);

    expect(decodeJwt(response.access_token).sub).toBe(USER_ID);
  });

  it('accepts confidential client without PKCE', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context, { codeChallenge: undefined });

    const { response } = await redeem(context, code, { code_verifier: undefined });

    expect(response.token_type).toBe('Bearer');
  });

  it.each(['code', 'redirect_uri'])('rejects missing %s', async (name) => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);

    const error = await rejectedOAuthError(redeem(context, code, { [name]: undefined }));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe(`The ${name} parameter is missing.`);
  });

  it.each([
    ['42 characters', 'a'.repeat(42)],
    ['129 characters', 'a'.repeat(129)],
    ['plus sign', `${'a'.repeat(42)}+`],
  ])('rejects verifier of %s', async (_case, verifier) => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);

    const error = await rejectedOAuthError(redeem(context, code, { code_verifier: verifier }));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe('The code_verifier must be 43 to 128 unreserved characters.');
  });

  it('keeps code after malformed verifier', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);
    await rejectedOAuthError(redeem(context, code, { code_verifier: 'short' }));

    const { response } = await redeem(context, code);

    expect(response.token_type).toBe('Bearer');
  });

  it('rejects unknown code', async () => {
    const context = tokenContext(secretHash);

    const error = await rejectedOAuthError(redeem(context, 'unknown-code'));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe('The authorization code is invalid or expired.');
  });

  it('rejects expired code', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);
    context.advance(60);

    const error = await rejectedOAuthError(redeem(context, code));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe('The authorization code is invalid or expired.');
  });

  it('accepts code before expiry', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);
    context.advance(59);

    const { response } = await redeem(context, code);

    expect(response.token_type).toBe('Bearer');
  });

  it('rejects code of another client', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);

    const error = await rejectedOAuthError(redeem(context, code, {}, 'other-app'));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe('The authorization code was issued to another client.');
  });

  it('rejects another redirect_uri', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);
    const changes = { redirect_uri: `${REDIRECT_URI}/other` };

    const error = await rejectedOAuthError(redeem(context, code, changes));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe(
      'The redirect_uri differs from the one in the authorization request.',
    );
  });

  it('rejects missing verifier', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);

    const error = await rejectedOAuthError(redeem(context, code, { code_verifier: undefined }));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe(
      'The code_verifier is missing: the authorization request used PKCE.',
    );
  });

  it('rejects unexpected verifier', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context, { codeChallenge: undefined });

    const error = await rejectedOAuthError(redeem(context, code));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe(
      'A code_verifier was sent, but the authorization request had no code_challenge.',
    );
  });

  it('rejects wrong verifier', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);
    const changes = { code_verifier: OTHER_VERIFIER };

    const error = await rejectedOAuthError(redeem(context, code, changes));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe('The code_verifier does not match the code_challenge.');
  });

  it('keeps code after mismatch', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);
    await rejectedOAuthError(redeem(context, code, { code_verifier: OTHER_VERIFIER }));
    await rejectedOAuthError(redeem(context, code, {}, 'other-app'));

    const { response } = await redeem(context, code);

    expect(response.token_type).toBe('Bearer');
  });

  it('rejects replayed code', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);
    await redeem(context, code);

    const error = await rejectedOAuthError(redeem(context, code));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe(
      'The authorization code was already used. Tokens issued for it are revoked.',
    );
  });

  it('revokes family on replay', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);
    const { response } = await redeem(context, code);
    await rejectedOAuthError(redeem(context, code));
    const refresh = form({
      grant_type: 'refresh_token',
      refresh_token: response.refresh_token ?? '',
    });

    const error = await rejectedOAuthError(
      handleTokenRequest(refresh, basicFor('web-app'), context),
    );

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe('The refresh token is invalid, expired or revoked.');
  });

  it('revokes family on replay by other client', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);
    const { response } = await redeem(context, code);

    await rejectedOAuthError(redeem(context, code, {}, 'other-app'));

    const familyId = response.refresh_token?.split('.')[0] ?? '';
    expect(context.refreshStore.families.get(familyId)?.revokedAt).toBeDefined();
  });

  it('revokes family on replay after expiry', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context);
    const { response } = await redeem(context, code);
    context.advance(120);

    const error = await rejectedOAuthError(redeem(context, code));

    const familyId = response.refresh_token?.split('.')[0] ?? '';
    expect(error.description).toMatch(/^The authorization code was already used\./);
    expect(context.refreshStore.families.get(familyId)?.revokedAt).toBeDefined();
  });

  it('rejects replay without refresh family', async () => {
    const context = tokenContext(secretHash);
    const code = await seedCode(context, { clientId: 'code-only' });
    await redeem(context, code, {}, 'code-only');

    const error = await rejectedOAuthError(redeem(context, code, {}, 'code-only'));

    expect(error.error).toBe('invalid_grant');
  });
});
