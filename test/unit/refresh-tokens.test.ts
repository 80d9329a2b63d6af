import { describe, expect, it } from 'vitest';
import type { RegisteredClient } from '../../functions/oauth/client.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import { InvalidScopeError } from '../../functions/oauth/errors.ts';
import { hashSecretValue } from '../../functions/oauth/grant-records.ts';
import { RefreshTokens } from '../../functions/oauth/refresh-tokens.ts';
import { USER_ID, webClient } from './authorization-context.ts';
import { InMemoryRefreshTokenStore } from './grant-stores.ts';
import { FrozenClock, rejectedOAuthError } from './support.ts';

const SETTINGS = { idleSeconds: 3600, absoluteSeconds: 86_400, reuseGraceSeconds: 5 };
const ALREADY_USED = /^The refresh token was already used\b.*\brevoked\b/;
const INVALID = 'The refresh token is invalid, expired or revoked.';

/** Builds RefreshTokens over a store whose expiry clock moves with the frozen clock. */
function setUp() {
  const clock = new FrozenClock();
  const store = new InMemoryRefreshTokenStore();
  store.now = epochSeconds(clock);
  const refreshTokens = new RefreshTokens(store, SETTINGS, clock);

  function advance(seconds: number): void {
    clock.advance(seconds * 1000);
    store.now = epochSeconds(clock);
  }
  return { clock, store, refreshTokens, advance };
}

async function issue(refreshTokens: RefreshTokens, client: RegisteredClient = webClient()) {
  const familyId = RefreshTokens.newFamilyId();
  const token = await refreshTokens.issue({
    familyId,
    client,
    userId: USER_ID,
    scopes: ['read', 'write'],
    authTime: 1_704_067_000,
  });
  return { familyId, token };
}

describe('RefreshTokens.newFamilyId', () => {
  it('returns distinct base64url ids', () => {
    const first = RefreshTokens.newFamilyId();
    const second = RefreshTokens.newFamilyId();

    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first).not.toBe(second);
  });
});

describe('RefreshTokens.issue', () => {
  it('returns token prefixed by family id', async () => {
    const { refreshTokens } = setUp();

    const { familyId, token } = await issue(refreshTokens);

    expect(token).toMatch(new RegExp(`^${familyId}\\.[A-Za-z0-9_-]{43}$`));
  });

  it('stores family with lifetimes', async () => {
    const { clock, store, refreshTokens } = setUp();
    const now = epochSeconds(clock);

    const { familyId } = await issue(refreshTokens);

    expect(store.families.get(familyId)).toEqual({
      familyId,
      clientId: 'web-app',
      userId: USER_ID,
      scopes: ['read', 'write'],
      authTime: 1_704_067_000,
      derivationKey: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      createdAt: now,
      absoluteExpiresAt: now + 86_400,
    });
  });

  it('stores first token with idle expiry', async () => {
    const { clock, store, refreshTokens } = setUp();

    const { familyId, token } = await issue(refreshTokens);

    expect(store.tokens.get(hashSecretValue(token))).toEqual({
      tokenHash: hashSecretValue(token),
      familyId,
      generation: 1,
      expiresAt: epochSeconds(clock) + 3600,
    });
  });

  it('applies client lifetimes', async () => {
    const { clock, store, refreshTokens } = setUp();
    const client = webClient({ refreshTokenIdleSeconds: 60, refreshTokenAbsoluteSeconds: 600 });
    const now = epochSeconds(clock);

    const { familyId, token } = await issue(refreshTokens, client);

    expect(store.families.get(familyId)?.absoluteExpiresAt).toBe(now + 600);
    expect(store.tokens.get(hashSecretValue(token))?.expiresAt).toBe(now + 60);
  });

  it('caps idle expiry at absolute expiry', async () => {
    const { clock, store, refreshTokens } = setUp();
    const client = webClient({ refreshTokenAbsoluteSeconds: 600 });

    const { token } = await issue(refreshTokens, client);

    expect(store.tokens.get(hashSecretValue(token))?.expiresAt).toBe(epochSeconds(clock) + 600);
  });

  it('stores no token in plain text', async () => {
    const { store, refreshTokens } = setUp();

    const { familyId, token } = await issue(refreshTokens);

    const stored = JSON.stringify([...store.families, ...store.tokens]);
    const secret = token.slice(familyId.length + 1);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(secret);
  });
});

describe('RefreshTokens.rotate', () => {
  it('returns successor in same family', async () => {
    const { refreshTokens } = setUp();
    const { familyId, token } = await issue(refreshTokens);

    const rotation = await refreshTokens.rotate(token, webClient());

    expect(rotation.refreshToken).not.toBe(token);
    expect(rotation.refreshToken.startsWith(`${familyId}.`)).toBe(true);
    expect(rotation.family.familyId).toBe(familyId);
    expect(rotation.family.scopes).toEqual(['read', 'write']);
  });

  it('marks presented token rotated', async () => {
    const { clock, store, refreshTokens } = setUp();
    const { token } = await issue(refreshTokens);

    await refreshTokens.rotate(token, webClient());

    expect(store.tokens.get(hashSecretValue(token))?.rotatedAt).toBe(epochSeconds(clock));
  });

  it('stores successor with next generation', async () => {
    const { clock, store, refreshTokens, advance } = setUp();
    const { familyId, token } = await issue(refreshTokens);
    advance(600);

    const { refreshToken } = await refreshTokens.rotate(token, webClient());

    expect(store.tokens.get(hashSecretValue(refreshToken))).toEqual({
      tokenHash: hashSecretValue(refreshToken),
      familyId,
      generation: 2,
      expiresAt: epochSeconds(clock) + 3600,
    });
  });

  it('rotates successor again', async () => {
    const { refreshTokens, advance } = setUp();
    const { token } = await issue(refreshTokens);
    const second = await refreshTokens.rotate(token, webClient());
    advance(60);

    const third = await refreshTokens.rotate(second.refreshToken, webClient());

    expect(third.refreshToken).not.toBe(second.refreshToken);
    expect(third.refreshToken).not.toBe(token);
  });

  it('stores no successor in plain text', async () => {
    const { store, refreshTokens } = setUp();
    const { familyId, token } = await issue(refreshTokens);

    const { refreshToken } = await refreshTokens.rotate(token, webClient());

    const stored = JSON.stringify([...store.families, ...store.tokens]);
    expect(stored).not.toContain(token.slice(familyId.length + 1));
    expect(stored).not.toContain(refreshToken.slice(familyId.length + 1));
  });

  it('returns same successor within grace', async () => {
    const { refreshTokens, advance } = setUp();
    const { token } = await issue(refreshTokens);
    const first = await refreshTokens.rotate(token, webClient());
    advance(5);

    const retry = await refreshTokens.rotate(token, webClient());

    expect(retry.refreshToken).toBe(first.refreshToken);
  });

  it('keeps family on retry within grace', async () => {
    const { store, refreshTokens, advance } = setUp();
    const { familyId, token } = await issue(refreshTokens);
    await refreshTokens.rotate(token, webClient());
    advance(5);

    await refreshTokens.rotate(token, webClient());

    expect(store.families.get(familyId)?.revokedAt).toBeUndefined();
    expect(store.tokens.size).toBe(2);
  });

  it('returns same successor to concurrent rotations', async () => {
    const { store, refreshTokens } = setUp();
    const { token } = await issue(refreshTokens);

    const [first, second] = await Promise.all([
      refreshTokens.rotate(token, webClient()),
      refreshTokens.rotate(token, webClient()),
    ]);

    expect(second.refreshToken).toBe(first.refreshToken);
    expect(store.tokens.size).toBe(2);
  });

  it('rejects an overlong token without a read', async () => {
    const { store, refreshTokens } = setUp();
    const overlong = `${'a'.repeat(200)}.${'b'.repeat(2_000)}`;
    const familiesBefore = store.families.size;

    const error = await rejectedOAuthError(refreshTokens.rotate(overlong, webClient()));

    expect(error.error).toBe('invalid_grant');
    expect(store.families.size).toBe(familiesBefore);
  });

  it('rejects reuse after grace', async () => {
    const { refreshTokens, advance } = setUp();
    const { token } = await issue(refreshTokens);
    await refreshTokens.rotate(token, webClient());
    advance(6);

    const error = await rejectedOAuthError(refreshTokens.rotate(token, webClient()));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toMatch(ALREADY_USED);
  });

  it('revokes family on reuse after grace', async () => {
    const { clock, store, refreshTokens, advance } = setUp();
    const { familyId, token } = await issue(refreshTokens);
    await refreshTokens.rotate(token, webClient());
    advance(6);

    await rejectedOAuthError(refreshTokens.rotate(token, webClient()));

    expect(store.families.get(familyId)?.revokedAt).toBe(epochSeconds(clock));
  });

  it('rejects successor after reuse', async () => {
    const { refreshTokens, advance } = setUp();
    const { token } = await issue(refreshTokens);
    const { refreshToken } = await refreshTokens.rotate(token, webClient());
    advance(6);
    await rejectedOAuthError(refreshTokens.rotate(token, webClient()));

    const error = await rejectedOAuthError(refreshTokens.rotate(refreshToken, webClient()));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe(INVALID);
  });

  it('rejects reuse of older generation', async () => {
    const { store, refreshTokens, advance } = setUp();
    const { familyId, token } = await issue(refreshTokens);
    const second = await refreshTokens.rotate(token, webClient());
    advance(60);
    await refreshTokens.rotate(second.refreshToken, webClient());

    const error = await rejectedOAuthError(refreshTokens.rotate(token, webClient()));

    expect(error.error).toBe('invalid_grant');
    expect(store.families.get(familyId)?.revokedAt).toBeDefined();
  });

  it('rejects token of another client', async () => {
    const { refreshTokens } = setUp();
    const { token } = await issue(refreshTokens);
    const other = webClient({ clientId: 'other-app' });

    const error = await rejectedOAuthError(refreshTokens.rotate(token, other));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe('The refresh token was issued to another client.');
  });

  it('leaves token unrotated for another client', async () => {
    const { store, refreshTokens } = setUp();
    const { token } = await issue(refreshTokens);
    await rejectedOAuthError(refreshTokens.rotate(token, webClient({ clientId: 'other-app' })));

    const rotation = await refreshTokens.rotate(token, webClient());

    expect(rotation.refreshToken).not.toBe(token);
    expect(store.families.size).toBe(1);
  });

  it('rejects token of revoked family', async () => {
    const { refreshTokens } = setUp();
    const { familyId, token } = await issue(refreshTokens);
    await refreshTokens.revokeFamily(familyId);

    const error = await rejectedOAuthError(refreshTokens.rotate(token, webClient()));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe(INVALID);
  });

  it('rejects token past idle expiry', async () => {
    const { refreshTokens, advance } = setUp();
    const { token } = await issue(refreshTokens);
    advance(3600);

    const error = await rejectedOAuthError(refreshTokens.rotate(token, webClient()));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe(INVALID);
  });

  it('accepts token before idle expiry', async () => {
    const { refreshTokens, advance } = setUp();
    const { token } = await issue(refreshTokens);
    advance(3599);

    const rotation = await refreshTokens.rotate(token, webClient());

    expect(rotation.refreshToken).not.toBe(token);
  });

  it('rejects family past absolute expiry', async () => {
    const { clock, refreshTokens } = setUp();
    const { token } = await issue(refreshTokens);
    // The store's expiry clock stays behind, so only the family's own limit can reject.
    clock.advance(86_400 * 1000);

    const error = await rejectedOAuthError(refreshTokens.rotate(token, webClient()));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe(INVALID);
  });

  it('ends chain at absolute expiry', async () => {
    const { refreshTokens, advance } = setUp();
    let { token } = await issue(refreshTokens);
    for (let elapsed = 0; elapsed < 86_400 - 3000; elapsed += 3000) {
      advance(3000);
      token = (await refreshTokens.rotate(token, webClient())).refreshToken;
    }
    advance(3000);

    const error = await rejectedOAuthError(refreshTokens.rotate(token, webClient()));

    expect(error.error).toBe('invalid_grant');
  });

  it('caps successor expiry at absolute expiry', async () => {
    const { clock, store, refreshTokens, advance } = setUp();
    const client = webClient({ refreshTokenIdleSeconds: 100_000 });
    const { familyId, token } = await issue(refreshTokens, client);
    const absoluteExpiresAt = epochSeconds(clock) + 86_400;
    advance(86_400 - 60);

    const { refreshToken } = await refreshTokens.rotate(token, client);

    const successor = store.tokens.get(hashSecretValue(refreshToken));
    expect(successor?.expiresAt).toBe(absoluteExpiresAt);
    expect(store.families.get(familyId)?.absoluteExpiresAt).toBe(absoluteExpiresAt);
  });

  it.each([
    ['unknown token', 'family.unknown-secret'],
    ['token without dot', 'no-dot'],
    ['empty token', ''],
  ])('rejects %s', async (_case, presented) => {
    const { refreshTokens } = setUp();
    await issue(refreshTokens);

    const error = await rejectedOAuthError(refreshTokens.rotate(presented, webClient()));

    expect(error.error).toBe('invalid_grant');
    expect(error.description).toBe(INVALID);
  });

  it('rejects secret under another family id', async () => {
    const { refreshTokens } = setUp();
    const first = await issue(refreshTokens);
    const second = await issue(refreshTokens);
    const secret = first.token.slice(first.familyId.length + 1);

    const error = await rejectedOAuthError(
      refreshTokens.rotate(`${second.familyId}.${secret}`, webClient()),
    );

    expect(error.error).toBe('invalid_grant');
  });

  it('passes family to check', async () => {
    const { refreshTokens } = setUp();
    const { familyId, token } = await issue(refreshTokens);
    const checked: string[] = [];

    await refreshTokens.rotate(token, webClient(), (family) => {
      checked.push(family.familyId);
    });

    expect(checked).toEqual([familyId]);
  });

  it('leaves token unrotated when check throws', async () => {
    const { store, refreshTokens } = setUp();
    const { token } = await issue(refreshTokens);

    const error = await rejectedOAuthError(
      refreshTokens.rotate(token, webClient(), () => {
        throw new InvalidScopeError('The scope exceeds the original grant: admin.');
      }),
    );

    expect(error.error).toBe('invalid_scope');
    expect(store.tokens.get(hashSecretValue(token))?.rotatedAt).toBeUndefined();
    expect(store.tokens.size).toBe(1);
  });

  it('rotates normally after check threw', async () => {
    const { store, refreshTokens, advance } = setUp();
    const { familyId, token } = await issue(refreshTokens);
    await rejectedOAuthError(
      refreshTokens.rotate(token, webClient(), () => {
        throw new InvalidScopeError('The scope exceeds the original grant: admin.');
      }),
    );
    advance(60);

    const rotation = await refreshTokens.rotate(token, webClient());

    expect(rotation.refreshToken).not.toBe(token);
    expect(store.families.get(familyId)?.revokedAt).toBeUndefined();
  });
});

describe('RefreshTokens.revokeFamily', () => {
  it('records revocation time', async () => {
    const { clock, store, refreshTokens } = setUp();
    const { familyId } = await issue(refreshTokens);

    await refreshTokens.revokeFamily(familyId);

    expect(store.families.get(familyId)?.revokedAt).toBe(epochSeconds(clock));
  });
});
