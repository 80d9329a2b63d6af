/**
 * The signing key lifecycle over a simulated clock: the scheduled rotation, rotate and revoke,
 * against the in-memory store, which has the conditional writes of the table.
 */
import { describe, expect, it } from 'vitest';
import { verifyAccessToken } from '../../functions/oauth/access-token-verification.ts';
import { signAccessToken } from '../../functions/oauth/access-token.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import type { EncryptedPrivateKey } from '../../functions/oauth/key-encryption.ts';
import {
  SigningKeyAdministration,
  signingKeyLifecycleSettings,
  UnknownSigningKeyError,
} from '../../functions/oauth/signing-key-administration.ts';
import {
  generateKeyPairJwks,
  generateSigningKey,
} from '../../functions/oauth/signing-key-lifecycle.ts';
import {
  SigningKeys,
  type SigningAlgorithm,
  type SigningKeyUpdate,
  type StoredSigningKey,
} from '../../functions/oauth/signing-keys.ts';
import {
  FrozenClock,
  InMemorySigningKeyStore,
  rejectionOf,
  TEST_KEY_ENCRYPTION,
} from './support.ts';

const ISSUER = 'https://auth.example.com';
const CACHE_SECONDS = 60;
const ACCESS_TOKEN_SECONDS = 3_600;
const SECOND = 1_000;
const DAY = 86_400 * SECOND;

const SETTINGS = signingKeyLifecycleSettings({
  keyRotationDays: 30,
  accessTokenLifetimeSeconds: ACCESS_TOKEN_SECONDS,
  idTokenLifetimeSeconds: 300,
  memoryCacheSeconds: CACHE_SECONDS,
});

function setup() {
  const store = new InMemorySigningKeyStore();
  const clock = new FrozenClock();
  const administration = administrationFor(store, clock);
  return { store, clock, administration };
}

function administrationFor(store: InMemorySigningKeyStore, clock: FrozenClock) {
  return new SigningKeyAdministration(store, TEST_KEY_ENCRYPTION, clock, SETTINGS);
}

/** The signing keys of a function instance, with the usual memory cache. */
function functionKeys(store: InMemorySigningKeyStore, clock: FrozenClock) {
  return new SigningKeys(store, clock, CACHE_SECONDS, TEST_KEY_ENCRYPTION);
}

async function addKey(
  store: InMemorySigningKeyStore,
  clock: FrozenClock,
  generation: number,
  state: 'next' | 'current' = 'current',
  algorithm: SigningAlgorithm = 'ES256',
): Promise<StoredSigningKey> {
  const key = await generateSigningKey(algorithm, generation, state, {
    keyEncryption: TEST_KEY_ENCRYPTION,
    clock,
  });
  store.keys.push(key);
  return key;
}

function stored(store: InMemorySigningKeyStore, kid: string | undefined) {
  return store.keys.find((key) => key.kid === kid);
}

function statesOf(store: InMemorySigningKeyStore, algorithm: SigningAlgorithm = 'ES256') {
  return store.keys
    .filter((key) => key.algorithm === algorithm)
    .sort((first, second) => first.generation - second.generation)
    .map((key) => `${key.generation}:${key.state}`);
}

async function signToken(signingKeys: SigningKeys, clock: FrozenClock): Promise<string> {
  const key = await signingKeys.current();
  const { token } = await signAccessToken(
    {
      issuer: ISSUER,
      subject: 'service',
      clientId: 'service',
      audience: ISSUER,
      scopes: ['read'],
      issuedAt: epochSeconds(clock),
      lifetimeSeconds: ACCESS_TOKEN_SECONDS,
    },
    key,
  );
  return token;
}

function verify(token: string, signingKeys: SigningKeys, clock: FrozenClock) {
  return verifyAccessToken(token, { issuer: ISSUER, signingKeys, clock });
}

describe('signingKeyLifecycleSettings', () => {
  it('derives periods from configuration', () => {
    expect(SETTINGS).toEqual({
      rotationPeriodSeconds: 2_592_000,
      publicationSeconds: 300 + 60 + 60,
      retentionSeconds: 3_600 + 60 + 60,
    });
  });

  it('retains keys for longest token lifetime', () => {
    const settings = signingKeyLifecycleSettings({
      keyRotationDays: 1,
      accessTokenLifetimeSeconds: 600,
      idTokenLifetimeSeconds: 7_200,
      memoryCacheSeconds: 0,
    });

    expect(settings.retentionSeconds).toBe(7_260);
    expect(settings.publicationSeconds).toBe(360);
    expect(settings.rotationPeriodSeconds).toBe(86_400);
  });
});

describe('scheduled rotation', () => {
  it('leaves first key to first use', async () => {
    const { store, administration } = setup();

    const report = await administration.runScheduledRotation();

    expect(report).toEqual({ rotations: {}, deleted: [], encrypted: [] });
    expect(store.keys).toEqual([]);
  });

  it('creates next key beside current', async () => {
    const { store, clock, administration } = setup();
    await addKey(store, clock, 1);

    const report = await administration.runScheduledRotation();

    const next = store.keys.find((key) => key.state === 'next');
    expect(report).toEqual({
      rotations: { ES256: { created: next?.kid } },
      deleted: [],
      encrypted: [],
    });
    expect(next?.generation).toBe(2);
    expect(next?.createdAt).toBe(clock.now());
    expect(statesOf(store)).toEqual(['1:current', '2:next']);
  });

  it('keeps current key within period', async () => {
    const { store, clock, administration } = setup();
    await addKey(store, clock, 1);
    await administration.runScheduledRotation();
    clock.advance(30 * DAY - 1);

    const report = await administration.runScheduledRotation();

    expect(report.rotations).toEqual({});
    expect(statesOf(store)).toEqual(['1:current', '2:next']);
  });

  it('promotes next key after period', async () => {
    const { store, clock, administration } = setup();
    const first = await addKey(store, clock, 1);
    await administration.runScheduledRotation();
    const next = store.keys.find((key) => key.state === 'next');
    clock.advance(30 * DAY);

    const report = await administration.runScheduledRotation();

    const successor = store.keys.find((key) => key.generation === 3);
    expect(report.rotations).toEqual({
      ES256: { promoted: next?.kid, retired: first.kid, created: successor?.kid },
    });
    expect(statesOf(store)).toEqual(['1:retired', '2:current', '3:next']);
    expect(stored(store, next?.kid)?.activatedAt).toBe(clock.now());
    expect(stored(store, first.kid)?.retireAfter).toBe(clock.now() + 3_720 * SECOND);
  });

  it('erases private key on retirement', async () => {
    const { store, clock, administration } = setup();
    const first = await addKey(store, clock, 1);
    await administration.runScheduledRotation();
    clock.advance(30 * DAY);

    await administration.runScheduledRotation();

    expect(stored(store, first.kid)?.encryptedPrivateKey).toBeUndefined();
    expect(stored(store, first.kid)?.privateJwk).toBeUndefined();
    expect(stored(store, first.kid)?.publicJwk).toEqual(first.publicJwk);
  });

  it('waits until next key is published', async () => {
    const { store, clock, administration } = setup();
    await addKey(store, clock, 1);
    clock.advance(30 * DAY);
    const created = await administration.runScheduledRotation();
    clock.advance(SETTINGS.publicationSeconds * SECOND - 1);

    const early = await administration.runScheduledRotation();
    clock.advance(1);
    const onTime = await administration.runScheduledRotation();

    expect(created.rotations.ES256?.created).toBeDefined();
    expect(early.rotations).toEqual({});
    expect(onTime.rotations.ES256?.promoted).toBe(created.rotations.ES256?.created);
  });

  it('changes nothing when run again', async () => {
    const { store, clock, administration } = setup();
    await addKey(store, clock, 1);
    await administration.runScheduledRotation();
    clock.advance(30 * DAY);
    await administration.runScheduledRotation();
    const before = structuredClone(store.keys);

    const report = await administration.runScheduledRotation();

    expect(report).toEqual({ rotations: {}, deleted: [], encrypted: [] });
    expect(store.keys).toEqual(before);
  });

  it('deletes retired key at retireAfter', async () => {
    const { store, clock, administration } = setup();
    const first = await addKey(store, clock, 1);
    await administration.runScheduledRotation();
    clock.advance(30 * DAY);
    await administration.runScheduledRotation();
    clock.advance(SETTINGS.retentionSeconds * SECOND - 1);

    const early = await administration.runScheduledRotation();
    clock.advance(1);
    const onTime = await administration.runScheduledRotation();

    expect(early.deleted).toEqual([]);
    expect(onTime.deleted).toEqual([first.kid]);
    expect(statesOf(store)).toEqual(['2:current', '3:next']);
  });

  it('retires older of two current keys', async () => {
    const { store, clock, administration } = setup();
    const older = await addKey(store, clock, 1);
    const newer = await addKey(store, clock, 2);

    const report = await administration.runScheduledRotation();

    expect(report.rotations.ES256?.retired).toBe(older.kid);
    expect(statesOf(store)).toEqual(['1:retired', '2:current', '3:next']);
    expect(stored(store, newer.kid)?.version).toBe(1);
  });

  it('rotates each algorithm on its own', async () => {
    const { store, clock, administration } = setup();
    await addKey(store, clock, 1, 'current', 'ES256');
    await administration.runScheduledRotation();
    clock.advance(20 * DAY);
    await addKey(store, clock, 1, 'current', 'RS256');
    await administration.runScheduledRotation();
    clock.advance(10 * DAY);

    const report = await administration.runScheduledRotation();

    expect(Object.keys(report.rotations)).toEqual(['ES256']);
    expect(statesOf(store, 'ES256')).toEqual(['1:retired', '2:current', '3:next']);
    expect(statesOf(store, 'RS256')).toEqual(['1:current', '2:next']);
  });

  it('encrypts plaintext key of older version', async () => {
    const { store, clock, administration } = setup();
    const { kid, publicJwk, privateJwk } = await generateKeyPairJwks('ES256');
    store.keys.push({
      kid,
      algorithm: 'ES256',
      generation: 1,
      state: 'current',
      version: 0,
      publicJwk,
      privateJwk,
      createdAt: clock.now() - DAY,
    });

    const report = await administration.runScheduledRotation();

    const migrated = stored(store, kid);
    expect(report.encrypted).toEqual([kid]);
    expect(migrated?.privateJwk).toBeUndefined();
    expect(migrated?.version).toBe(1);
    expect(migrated?.state).toBe('current');
    expect(migrated?.activatedAt).toBe(clock.now() - DAY);
    const decrypted = await TEST_KEY_ENCRYPTION.decrypt(
      migrated?.encryptedPrivateKey as EncryptedPrivateKey,
      kid,
    );
    expect(decrypted).toEqual(privateJwk);
    expect((await functionKeys(store, clock).current()).kid).toBe(kid);
  });

  it('creates one next key in concurrent runs', async () => {
    const { store, clock } = setup();
    await addKey(store, clock, 1);
    const administrations = Array.from({ length: 10 }, () => administrationFor(store, clock));

    const reports = await Promise.all(
      administrations.map((administration) => administration.runScheduledRotation()),
    );

    const created = reports.map((report) => report.rotations.ES256?.created).filter(Boolean);
    expect(store.creates).toBe(10);
    expect(created).toHaveLength(1);
    expect(statesOf(store)).toEqual(['1:current', '2:next']);
  });

  it('promotes once in concurrent runs', async () => {
    const { store, clock, administration } = setup();
    await addKey(store, clock, 1);
    await administration.runScheduledRotation();
    clock.advance(30 * DAY);
    const administrations = Array.from({ length: 10 }, () => administrationFor(store, clock));

    const reports = await Promise.all(
      administrations.map((concurrent) => concurrent.runScheduledRotation()),
    );

    const rotations = reports.map((report) => report.rotations.ES256).filter(Boolean);
    expect(rotations).toHaveLength(1);
    expect(Object.keys(rotations[0] ?? {}).sort()).toEqual(['created', 'promoted', 'retired']);
    expect(statesOf(store)).toEqual(['1:retired', '2:current', '3:next']);
  });
});

describe('rotation and tokens', () => {
  it('keeps tokens valid until key retires', async () => {
    const { store, clock, administration } = setup();
    const signingKeys = functionKeys(store, clock);
    const resourceServer = functionKeys(store, clock);
    const first = await signingKeys.current();
    await administration.runScheduledRotation();
    clock.advance(30 * DAY);
    const beforeRotation = await signToken(signingKeys, clock);

    await administration.runScheduledRotation();
    const staleCache = await signToken(signingKeys, clock);
    clock.advance(CACHE_SECONDS * SECOND);
    const afterRotation = await signToken(signingKeys, clock);

    expect((await signingKeys.current()).kid).not.toBe(first.kid);
    expect(await verify(beforeRotation, resourceServer, clock)).toBeDefined();
    expect(await verify(afterRotation, resourceServer, clock)).toBeDefined();
    // The last token of the retired key, signed from a cache that had not seen the rotation,
    // still verifies one second before it expires.
    clock.advance((ACCESS_TOKEN_SECONDS - CACHE_SECONDS - 1) * SECOND);
    expect(await verify(staleCache, resourceServer, clock)).toBeDefined();
    clock.advance((SETTINGS.retentionSeconds - ACCESS_TOKEN_SECONDS + 1) * SECOND);
    expect(await resourceServer.verificationKey(first.kid)).toBeUndefined();
    const { keys } = await resourceServer.publicJwks();
    expect(keys.map((jwk) => jwk.kid)).not.toContain(first.kid);
  });

  it('rejects tokens of revoked key after cache', async () => {
    const { store, clock, administration } = setup();
    const signingKeys = functionKeys(store, clock);
    const token = await signToken(signingKeys, clock);
    const { kid } = await signingKeys.current();
    expect(await verify(token, signingKeys, clock)).toBeDefined();

    await administration.revoke(kid);
    const cached = await verify(token, signingKeys, clock);
    clock.advance(CACHE_SECONDS * SECOND);
    const reloaded = await verify(token, signingKeys, clock);

    // A warm function learns of the revocation when its cached key set expires.
    expect(cached).toBeDefined();
    expect(reloaded).toBeUndefined();
    expect((await signingKeys.current()).kid).not.toBe(kid);
  });
});

describe('SigningKeyAdministration.rotate', () => {
  it('creates next key first', async () => {
    const { store, clock, administration } = setup();
    const current = await addKey(store, clock, 1);

    const result = await administration.rotate('ES256');

    const next = store.keys.find((key) => key.state === 'next');
    expect(result).toEqual({ created: next?.kid });
    expect(stored(store, current.kid)?.state).toBe('current');
  });

  it('promotes published next key', async () => {
    const { store, clock, administration } = setup();
    const current = await addKey(store, clock, 1);
    const next = await addKey(store, clock, 2, 'next');
    clock.advance(SETTINGS.publicationSeconds * SECOND);

    const result = await administration.rotate('ES256');

    const successor = store.keys.find((key) => key.generation === 3);
    expect(result).toEqual({ promoted: next.kid, retired: current.kid, created: successor?.kid });
    expect(statesOf(store)).toEqual(['1:retired', '2:current', '3:next']);
  });

  it('keeps briefly published next key', async () => {
    const { store, clock, administration } = setup();
    await addKey(store, clock, 1);
    await addKey(store, clock, 2, 'next');
    clock.advance(SETTINGS.publicationSeconds * SECOND - 1);

    const result = await administration.rotate('ES256');

    expect(result).toEqual({});
    expect(statesOf(store)).toEqual(['1:current', '2:next']);
  });

  it('creates and promotes with immediate', async () => {
    const { store, clock, administration } = setup();
    const current = await addKey(store, clock, 1);

    const result = await administration.rotate('ES256', { immediate: true });

    const created = store.keys.find((key) => key.generation === 2);
    expect(result).toEqual({ created: created?.kid, promoted: created?.kid, retired: current.kid });
    expect(statesOf(store)).toEqual(['1:retired', '2:current']);
  });

  it('promotes fresh next key with immediate', async () => {
    const { store, clock, administration } = setup();
    const current = await addKey(store, clock, 1);
    const next = await addKey(store, clock, 2, 'next');

    const result = await administration.rotate('ES256', { immediate: true });

    const successor = store.keys.find((key) => key.generation === 3);
    expect(result).toEqual({ promoted: next.kid, retired: current.kid, created: successor?.kid });
  });

  it('creates current key when none exists', async () => {
    const { store, administration } = setup();

    const result = await administration.rotate('RS256');

    expect(result).toEqual({ created: store.keys[0]?.kid });
    expect(statesOf(store, 'RS256')).toEqual(['1:current']);
  });

  it('creates one key in concurrent rotations', async () => {
    const { store, clock } = setup();
    await addKey(store, clock, 1);
    const administrations = Array.from({ length: 10 }, () => administrationFor(store, clock));

    const results = await Promise.all(
      administrations.map((administration) => administration.rotate('ES256')),
    );

    expect(results.filter((result) => result.created !== undefined)).toHaveLength(1);
    expect(statesOf(store)).toEqual(['1:current', '2:next']);
  });

  it('promotes once in concurrent immediate rotations', async () => {
    const { store, clock } = setup();
    await addKey(store, clock, 1);
    await addKey(store, clock, 2, 'next');
    const administrations = Array.from({ length: 10 }, () => administrationFor(store, clock));

    const results = await Promise.all(
      administrations.map((administration) => administration.rotate('ES256', { immediate: true })),
    );

    expect(results.filter((result) => result.promoted !== undefined)).toHaveLength(1);
    expect(results.filter((result) => result.created !== undefined)).toHaveLength(1);
    expect(statesOf(store)).toEqual(['1:retired', '2:current', '3:next']);
  });
});

describe('SigningKeyAdministration.revoke', () => {
  it('replaces revoked current key by next', async () => {
    const { store, clock, administration } = setup();
    const current = await addKey(store, clock, 1);
    const next = await addKey(store, clock, 2, 'next');

    await administration.revoke(current.kid);

    const revoked = stored(store, current.kid);
    expect(revoked?.state).toBe('revoked');
    expect(revoked?.revokedAt).toBe(clock.now());
    expect(revoked?.encryptedPrivateKey).toBeUndefined();
    expect(statesOf(store)).toEqual(['1:revoked', '2:current']);
    expect((await functionKeys(store, clock).current()).kid).toBe(next.kid);
  });

  it('replaces revoked current key by new key', async () => {
    const { store, clock, administration } = setup();
    const current = await addKey(store, clock, 1);

    await administration.revoke(current.kid);

    expect(statesOf(store)).toEqual(['1:revoked', '2:current']);
  });

  it('removes revoked key from JWKS', async () => {
    const { store, clock, administration } = setup();
    const current = await addKey(store, clock, 1);

    await administration.revoke(current.kid);

    const signingKeys = functionKeys(store, clock);
    const { keys } = await signingKeys.publicJwks();
    expect(keys.map((jwk) => jwk.kid)).not.toContain(current.kid);
    expect(await signingKeys.verificationKey(current.kid)).toBeUndefined();
  });

  it('revokes retired key', async () => {
    const { store, clock, administration } = setup();
    const first = await addKey(store, clock, 1);
    await administration.rotate('ES256', { immediate: true });

    await administration.revoke(first.kid);

    expect(statesOf(store)).toEqual(['1:revoked', '2:current']);
  });

  it('ignores second revocation', async () => {
    const { store, clock, administration } = setup();
    const next = await addKey(store, clock, 2, 'next');
    await administration.revoke(next.kid);
    const updates = store.updates;

    await administration.revoke(next.kid);

    expect(store.updates).toBe(updates);
    expect(stored(store, next.kid)?.state).toBe('revoked');
  });

  it('rejects unknown kid', async () => {
    const { administration } = setup();

    const failure = await rejectionOf(administration.revoke('no-such-kid'));

    expect(failure).toBeInstanceOf(UnknownSigningKeyError);
    expect(failure).toHaveProperty('message', 'No signing key has kid no-such-kid.');
  });

  it('retries after concurrent change', async () => {
    const store = new ChangingStore();
    const clock = new FrozenClock();
    const current = await addKey(store, clock, 1);
    await addKey(store, clock, 2, 'next');

    await administrationFor(store, clock).revoke(current.kid);

    expect(store.lists).toBe(2);
    expect(statesOf(store)).toEqual(['1:revoked', '2:current']);
  });
});

/** A store in which another writer changes a key just before the first update. */
class ChangingStore extends InMemorySigningKeyStore {
  #changed = false;

  override async updateSigningKey(key: StoredSigningKey, update: SigningKeyUpdate) {
    if (!this.#changed) {
      this.#changed = true;
      await super.updateSigningKey(key, { state: key.state });
    }
    return super.updateSigningKey(key, update);
  }
}

describe('SigningKeyAdministration.listKeys', () => {
  it('lists keys without key material', async () => {
    const { store, clock, administration } = setup();
    const rsa = await addKey(store, clock, 1, 'current', 'RS256');
    const first = await addKey(store, clock, 1);
    clock.advance(DAY);
    const result = await administration.rotate('ES256', { immediate: true });

    const keys = await administration.listKeys();

    expect(keys).toEqual([
      {
        kid: first.kid,
        algorithm: 'ES256',
        state: 'retired',
        generation: 1,
        createdAt: first.createdAt,
        activatedAt: first.createdAt,
        retireAfter: clock.now() + SETTINGS.retentionSeconds * SECOND,
      },
      {
        kid: result.promoted,
        algorithm: 'ES256',
        state: 'current',
        generation: 2,
        createdAt: clock.now(),
        activatedAt: clock.now(),
      },
      {
        kid: rsa.kid,
        algorithm: 'RS256',
        state: 'current',
        generation: 1,
        createdAt: rsa.createdAt,
        activatedAt: rsa.createdAt,
      },
    ]);
  });
});
