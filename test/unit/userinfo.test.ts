import { generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  REFRESH_FAMILY_CLAIM,
  signAccessToken,
  type AccessTokenClaims,
} from '../../functions/oauth/access-token.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import {
  bearerChallenge,
  InsufficientScopeError,
  InvalidTokenError,
} from '../../functions/oauth/errors.ts';
import { signIdToken } from '../../functions/oauth/id-token.ts';
import { SigningKeys } from '../../functions/oauth/signing-keys.ts';
import {
  handleUserinfoRequest,
  readBearerToken,
  userinfoClaims,
  type UserinfoContext,
} from '../../functions/oauth/userinfo.ts';
import type { User } from '../../functions/oauth/users.ts';
import { ISSUER, USER_ID } from './authorization-context.ts';
import {
  FrozenClock,
  InMemorySigningKeyStore,
  TEST_KEY_ENCRYPTION,
  rejectedOAuthError,
  thrownOAuthError,
} from './support.ts';
import { InMemoryUserStore, UNUSED_PASSWORD_HASH } from './user-stores.ts';

const ALICE: User = {
  userId: USER_ID,
  username: 'alice',
  passwordHash: UNUSED_PASSWORD_HASH,
  name: 'Alice Example',
  email: 'alice@example.com',
  emailVerified: true,
  createdAt: 0,
};

interface TestUserinfoContext extends UserinfoContext {
  users: InMemoryUserStore;
  clock: FrozenClock;
  revokedJtis: Set<string>;
  revokedFamilies: Set<string>;
}

async function userinfoContext(): Promise<TestUserinfoContext> {
  const clock = new FrozenClock();
  const users = new InMemoryUserStore();
  await users.createUser(ALICE);
  const revokedJtis = new Set<string>();
  const revokedFamilies = new Set<string>();
  return {
    issuer: ISSUER,
    signingKeys: new SigningKeys(new InMemorySigningKeyStore(), clock, 60, TEST_KEY_ENCRYPTION),
    clock,
    users,
    revokedJtis,
    revokedFamilies,
    revocations: {
      isAccessTokenRevoked: async (jti) => revokedJtis.has(jti),
      isFamilyRevoked: async (familyId) => revokedFamilies.has(familyId),
    },
  };
}

/** Signs an access token for Alice with the context's current key. */
async function accessToken(
  context: TestUserinfoContext,
  changes: Partial<AccessTokenClaims> = {},
) {
  return signAccessToken(
    {
      issuer: ISSUER,
      subject: USER_ID,
      clientId: 'web-app',
      audience: 'https://api.example.com',
      scopes: ['openid', 'profile', 'email'],
      issuedAt: epochSeconds(context.clock),
      lifetimeSeconds: 600,
      ...changes,
    },
    await context.signingKeys.current(),
  );
}

const noToken = {
  authorization: undefined,
  formAccessToken: undefined,
  queryHasAccessToken: false,
};

describe('readBearerToken', () => {
  it('reads Authorization header', () => {
    const token = readBearerToken({ ...noToken, authorization: 'Bearer abc.def-ghi_jkl~+/=' });

    expect(token).toBe('abc.def-ghi_jkl~+/=');
  });

  it('accepts scheme in any case', () => {
    expect(readBearerToken({ ...noToken, authorization: 'bearer abc' })).toBe('abc');
  });

  it('reads form access_token', () => {
    expect(readBearerToken({ ...noToken, formAccessToken: 'abc' })).toBe('abc');
  });

  it('rejects missing token with bare challenge', () => {
    const error = thrownOAuthError(() => readBearerToken(noToken));

    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error.status).toBe(401);
    expect(error.headers['WWW-Authenticate']).toBe('Bearer');
  });

  it('treats Basic header as no token', () => {
    const error = thrownOAuthError(() =>
      readBearerToken({ ...noToken, authorization: 'Basic d2ViOnNlY3JldA==' }),
    );

    expect(error.error).toBe('invalid_token');
    expect(error.headers['WWW-Authenticate']).toBe('Bearer');
  });

  it('rejects token in query', () => {
    const error = thrownOAuthError(() =>
      readBearerToken({ ...noToken, authorization: 'Bearer abc', queryHasAccessToken: true }),
    );

    expect(error.error).toBe('invalid_request');
    expect(error.status).toBe(400);
    expect(error.description).toMatch(/must not be sent in the query/);
    expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_request", /);
  });

  it('rejects header and form token together', () => {
    const error = thrownOAuthError(() =>
      readBearerToken({ ...noToken, authorization: 'Bearer abc', formAccessToken: 'abc' }),
    );

    expect(error.error).toBe('invalid_request');
    expect(error.description).toMatch(/both in the Authorization header and in the form body/);
  });

  it.each(['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a"b'])('rejects malformed %j', (header) => {
    const error = thrownOAuthError(() => readBearerToken({ ...noToken, authorization: header }));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe(
      'The Authorization header must be Bearer followed by one token.',
    );
  });
});

describe('bearerChallenge', () => {
  it('quotes error, description and scope', () => {
    const headers = bearerChallenge({
      code: 'insufficient_scope',
      description: 'Needs "openid"\\',
      scope: 'openid',
    });

    expect(headers['WWW-Authenticate']).toBe(
      'Bearer error="insufficient_scope", error_description="Needs ?openid??", scope="openid"',
    );
  });

  it('builds insufficient_scope error with 403', () => {
    const error = new InsufficientScopeError('The access token lacks the openid scope.', {
      scope: 'openid',
    });

    expect(error.status).toBe(403);
    expect(error.headers['WWW-Authenticate']).toBe(
      'Bearer error="insufficient_scope", ' +
        'error_description="The access token lacks the openid scope.", scope="openid"',
    );
  });
});

describe('handleUserinfoRequest', () => {
  it('returns claims of granted scopes', async () => {
    const context = await userinfoContext();
    const { token } = await accessToken(context);

    const claims = await handleUserinfoRequest(token, context);

    expect(claims).toEqual({
      sub: USER_ID,
      name: 'Alice Example',
      email: 'alice@example.com',
      email_verified: true,
    });
  });

  it('returns only sub for openid alone', async () => {
    const context = await userinfoContext();
    const { token } = await accessToken(context, { scopes: ['openid'] });

    const claims = await handleUserinfoRequest(token, context);

    expect(claims).toEqual({ sub: USER_ID });
  });

  it('rejects token without openid with insufficient_scope', async () => {
    const context = await userinfoContext();
    const { token } = await accessToken(context, { scopes: ['profile'] });

    const error = await rejectedOAuthError(handleUserinfoRequest(token, context));

    expect(error.error).toBe('insufficient_scope');
    expect(error.status).toBe(403);
    expect(error.headers['WWW-Authenticate']).toMatch(/scope="openid"$/);
  });

  it('rejects expired token', async () => {
    const context = await userinfoContext();
    const { token } = await accessToken(context);
    context.clock.advance(600_000);

    const error = await rejectedOAuthError(handleUserinfoRequest(token, context));

    expect(error.error).toBe('invalid_token');
    expect(error.status).toBe(401);
    expect(error.description).toBe('The access token is invalid, expired or revoked.');
    expect(error.headers['WWW-Authenticate']).toBe(
      'Bearer error="invalid_token", ' +
        'error_description="The access token is invalid, expired or revoked."',
    );
  });

  it('rejects token of another issuer', async () => {
    const context = await userinfoContext();
    const { token } = await accessToken(context, { issuer: 'https://other.example.com' });

    const error = await rejectedOAuthError(handleUserinfoRequest(token, context));

    expect(error.error).toBe('invalid_token');
  });

  it('rejects token signed by unknown key', async () => {
    const context = await userinfoContext();
    await context.signingKeys.current();
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ client_id: 'web-app', scope: 'openid' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'made-up' })
      .setIssuer(ISSUER)
      .setSubject(USER_ID)
      .setAudience(ISSUER)
      .setJti('jti-1')
      .setIssuedAt(epochSeconds(context.clock))
      .setExpirationTime(epochSeconds(context.clock) + 600)
      .sign(privateKey);

    const error = await rejectedOAuthError(handleUserinfoRequest(token, context));

    expect(error.error).toBe('invalid_token');
  });

  it('rejects ID token as access token', async () => {
    const context = await userinfoContext();
    const idToken = await signIdToken(
      {
        issuer: ISSUER,
        subject: USER_ID,
        clientId: 'web-app',
        issuedAt: epochSeconds(context.clock),
        lifetimeSeconds: 300,
      },
      await context.signingKeys.current(),
    );

    const error = await rejectedOAuthError(handleUserinfoRequest(idToken, context));

    expect(error.error).toBe('invalid_token');
  });

  it('rejects revoked token', async () => {
    const context = await userinfoContext();
    const { token, jti } = await accessToken(context);
    context.revokedJtis.add(jti);

    const error = await rejectedOAuthError(handleUserinfoRequest(token, context));

    expect(error.error).toBe('invalid_token');
  });

  it('rejects token of revoked family', async () => {
    const context = await userinfoContext();
    const { token } = await accessToken(context, {
      extraClaims: { [REFRESH_FAMILY_CLAIM]: 'family-1' },
    });
    context.revokedFamilies.add('family-1');

    const error = await rejectedOAuthError(handleUserinfoRequest(token, context));

    expect(error.error).toBe('invalid_token');
  });

  it('rejects token of disabled user', async () => {
    const context = await userinfoContext();
    const { token } = await accessToken(context);
    context.users.users.set(USER_ID, { ...ALICE, disabled: true });

    const error = await rejectedOAuthError(handleUserinfoRequest(token, context));

    expect(error.error).toBe('invalid_token');
    expect(error.description).toBe('The user of this access token is disabled or deleted.');
  });

  it('rejects token of deleted user', async () => {
    const context = await userinfoContext();
    const { token } = await accessToken(context, { subject: 'nobody' });

    const error = await rejectedOAuthError(handleUserinfoRequest(token, context));

    expect(error.error).toBe('invalid_token');
  });
});

describe('userinfoClaims', () => {
  it('reports unverified email as false', () => {
    const user = { ...ALICE, emailVerified: undefined };

    expect(userinfoClaims(user, ['openid', 'email'])).toEqual({
      sub: USER_ID,
      email: 'alice@example.com',
      email_verified: false,
    });
  });

  it('omits claims the user lacks', () => {
    const user = { ...ALICE, name: undefined, email: undefined };

    expect(userinfoClaims(user, ['openid', 'profile', 'email'])).toEqual({ sub: USER_ID });
  });

  it('omits claims of scopes not granted', () => {
    expect(userinfoClaims(ALICE, ['openid', 'profile'])).toEqual({
      sub: USER_ID,
      name: 'Alice Example',
    });
  });
});
