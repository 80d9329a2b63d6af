import { compactVerify, CompactSign, importJWK, type CryptoKey } from 'jose';
import { describe, expect, it } from 'vitest';
import type { EncryptedPrivateKey, KeyEncryption } from '../../functions/oauth/key-encryption.ts';
import {
  generateKeyPairJwks,
  generateSigningKey,
} from '../../functions/oauth/signing-key-lifecycle.ts';
import {
  SigningKeys,
  type SigningAlgorithm,
  type StoredSigningKey,
} from '../../functions/oauth/signing-keys.ts';
import {
  FrozenClock,
  InMemorySigningKeyStore,
  rejectionOf,
  TEST_KEY_ENCRYPTION,
} from './support.ts';

const CACHE_SECONDS = 60;
const PAYLOAD = new TextEncoder().encode('payload');

function newKey(
  clock: FrozenClock,
  generation: number,
  state: 'next' | 'current' = 'current',
  algorithm: SigningAlgorithm = 'ES256',
): Promise<StoredSigningKey> {
  return generateSigningKey(algorithm, generation, state, {
    keyEncryption: TEST_KEY_ENCRYPTION,
    clock,
  });
}

async function storeWithKeys(...generations: number[]) {
  const store = new InMemorySigningKeyStore();
  const clock = new FrozenClock();
  for (const generation of generations) store.keys.push(await newKey(clock, generation));
  return { store, clock };
}

function signingKeysFor(store: InMemorySigningKeyStore, clock: FrozenClock) {
  return new SigningKeys(store, clock, CACHE_SECONDS, TEST_KEY_ENCRYPTION);
}

/** Decrypts a stored key's private JWK with the tests' key encryption and imports it. */
async function privateKeyOf(key: StoredSigningKey | undefined): Promise<CryptoKey> {
  if (key?.encryptedPrivateKey === undefined) throw new Error('the key has no private key');
  const jwk = await TEST_KEY_ENCRYPTION.decrypt(key.encryptedPrivateKey, key.kid);
  return (await importJWK(jwk, key.algorithm)) as CryptoKey;
}

async function sign(privateKey: CryptoKey, algorithm: SigningAlgorithm): Promise<string> {
  return new CompactSign(PAYLOAD).setProtectedHeader({ alg: algorithm }).sign(privateKey);
}

/** Counts decryptions and fails the next one on request. */
class CountingKeyEncryption implements KeyEncryption {
  decryptions = 0;
  #failNext = false;

  failNextDecryption(): void {
    this.#failNext = true;
  }

  encrypt(privateJwk: Parameters<KeyEncryption['encrypt']>[0], kid: string) {
    return TEST_KEY_ENCRYPTION.encrypt(privateJwk, kid);
  }

  async decrypt(encrypted: EncryptedPrivateKey, kid: string) {
    this.decryptions += 1;
    if (this.#failNext) {
      this.#failNext = false;
      throw new Error('KMS Decrypt throttled');
    }
    return TEST_KEY_ENCRYPTION.decrypt(encrypted, kid);
  }
}

describe('SigningKeys.current', () => {
  it('creates first key as current', async () => {
    const { store, clock } = await storeWithKeys();

    const key = await signingKeysFor(store, clock).current();

    expect(store.keys).toHaveLength(1);
    const stored = store.keys[0];
    expect(key.kid).toBe(stored?.kid);
    expect(key.algorithm).toBe('ES256');
    expect(stored?.state).toBe('current');
    expect(stored?.generation).toBe(1);
    expect(stored?.version).toBe(1);
    expect(stored?.createdAt).toBe(clock.now());
    expect(stored?.activatedAt).toBe(clock.now());
  });

  it('stores private key encrypted', async () => {
    const { store, clock } = await storeWithKeys();

    await signingKeysFor(store, clock).current();

    const stored = store.keys[0];
    expect(stored?.privateJwk).toBeUndefined();
    expect(stored?.encryptedPrivateKey?.keyEncryption).toBe('local-file');
    const decrypted = await TEST_KEY_ENCRYPTION.decrypt(
      stored?.encryptedPrivateKey as EncryptedPrivateKey,
      stored?.kid ?? '',
    );
    expect(JSON.stringify(stored)).not.toContain(String(decrypted.d));
  });

  it('returns stored key without creating', async () => {
    const { store, clock } = await storeWithKeys(1);

    const key = await signingKeysFor(store, clock).current();

    expect(key.kid).toBe(store.keys[0]?.kid);
    expect(store.creates).toBe(0);
  });

  it('signs with current key, not next', async () => {
    const { store, clock } = await storeWithKeys(1);
    store.keys.push(await newKey(clock, 2, 'next'));

    const key = await signingKeysFor(store, clock).current();

    expect(key.kid).toBe(store.keys[0]?.kid);
  });

  it('signs with newer of two current keys', async () => {
    const { store, clock } = await storeWithKeys(2, 3, 1);

    const key = await signingKeysFor(store, clock).current();

    expect(key.kid).toBe(store.keys[1]?.kid);
  });

  it('creates current key beside next key', async () => {
    const { store, clock } = await storeWithKeys();
    store.keys.push(await newKey(clock, 4, 'next'));

    const key = await signingKeysFor(store, clock).current();

    const created = store.keys.find((stored) => stored.kid === key.kid);
    expect(created?.state).toBe('current');
    expect(created?.generation).toBe(5);
    expect(store.keys[0]?.state).toBe('next');
    expect(store.updates).toBe(0);
  });

  it('creates current key after revoked one', async () => {
    const { store, clock } = await storeWithKeys();
    store.keys.push({ ...(await newKey(clock, 1)), state: 'revoked', version: 2 });

    const key = await signingKeysFor(store, clock).current();

    expect(key.kid).not.toBe(store.keys[0]?.kid);
    expect(store.keys.find((stored) => stored.kid === key.kid)?.generation).toBe(2);
  });

  it('returns private key matching public key', async () => {
    const { store, clock } = await storeWithKeys(1);

    const key = await signingKeysFor(store, clock).current();
    const signature = await sign(key.privateKey, key.algorithm);

    const publicKey = await importJWK(store.keys[0]?.publicJwk ?? {}, 'ES256');
    const verified = await compactVerify(signature, publicKey);
    expect(new TextDecoder().decode(verified.payload)).toBe('payload');
  });

  it('signs with plaintext key of older version', async () => {
    const { store, clock } = await storeWithKeys();
    const { kid, publicJwk, privateJwk } = await generateKeyPairJwks('ES256');
    store.keys.push({
      kid,
      algorithm: 'ES256',
      generation: 1,
      state: 'current',
      version: 0,
      publicJwk,
      privateJwk,
      createdAt: clock.now(),
    });

    const key = await signingKeysFor(store, clock).current();
    const signature = await sign(key.privateKey, 'ES256');

    expect(key.kid).toBe(kid);
    await expect(compactVerify(signature, await importJWK(publicJwk, 'ES256'))).resolves.toEqual(
      expect.objectContaining({ payload: PAYLOAD }),
    );
  });

  it('decrypts each private key once', async () => {
    const { store, clock } = await storeWithKeys(1);
    const keyEncryption = new CountingKeyEncryption();
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS, keyEncryption);

    await signingKeys.current();
    clock.advance(CACHE_SECONDS * 1000);
    await signingKeys.current();

    expect(store.lists).toBe(2);
    expect(keyEncryption.decryptions).toBe(1);
  });

  it('retries failed decryption', async () => {
    const { store, clock } = await storeWithKeys(1);
    const keyEncryption = new CountingKeyEncryption();
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS, keyEncryption);
    keyEncryption.failNextDecryption();

    const failure = await rejectionOf(signingKeys.current());
    const key = await signingKeys.current();

    expect(failure).toHaveProperty('message', 'KMS Decrypt throttled');
    expect(key.kid).toBe(store.keys[0]?.kid);
    expect(keyEncryption.decryptions).toBe(2);
  });

  it('creates one key under race', async () => {
    const { store, clock } = await storeWithKeys();
    const instances = Array.from({ length: 20 }, () => signingKeysFor(store, clock));

    const keys = await Promise.all(instances.map((signingKeys) => signingKeys.current()));

    // More than one create shows that several instances found the store empty and raced.
    expect(store.creates).toBeGreaterThan(1);
    expect(store.keys).toHaveLength(1);
    expect(new Set(keys.map((key) => key.kid))).toEqual(new Set([store.keys[0]?.kid]));
  });

  it('creates RS256 key beside ES256 key', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = signingKeysFor(store, clock);

    const key = await signingKeys.current('RS256');

    expect(key.algorithm).toBe('RS256');
    expect(store.keys).toHaveLength(2);
    const created = store.keys.find((stored) => stored.algorithm === 'RS256');
    expect(created?.generation).toBe(1);
    expect(key.kid).toBe(created?.kid);
    expect((await signingKeys.current('ES256')).kid).toBe(store.keys[0]?.kid);
  });

  it('creates one RS256 key under race', async () => {
    const { store, clock } = await storeWithKeys(1);
    const instances = Array.from({ length: 10 }, () => signingKeysFor(store, clock));

    const keys = await Promise.all(instances.map((signingKeys) => signingKeys.current('RS256')));

    const rsaKeys = store.keys.filter((key) => key.algorithm === 'RS256');
    expect(store.creates).toBeGreaterThan(1);
    expect(rsaKeys).toHaveLength(1);
    expect(new Set(keys.map((key) => key.kid))).toEqual(new Set([rsaKeys[0]?.kid]));
  });

  it.each(['RS256', 'EdDSA'] as const)(
    'signs %s verifiable with public key',
    async (algorithm) => {
      const { store, clock } = await storeWithKeys();

      const key = await signingKeysFor(store, clock).current(algorithm);
      const signature = await sign(key.privateKey, algorithm);

      const publicKey = await importJWK(store.keys[0]?.publicJwk ?? {}, algorithm);
      const verified = await compactVerify(signature, publicKey);
      expect(new TextDecoder().decode(verified.payload)).toBe('payload');
    },
  );

  it('serves cached keys before expiry', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = signingKeysFor(store, clock);
    const first = await signingKeys.current();
    store.keys.push(await newKey(clock, 2));
    clock.advance(CACHE_SECONDS * 1000 - 1);

    const key = await signingKeys.current();

    expect(key.kid).toBe(first.kid);
    expect(store.lists).toBe(1);
  });

  it('rereads store after expiry', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = signingKeysFor(store, clock);
    await signingKeys.current();
    const newer = await newKey(clock, 2);
    store.keys.push(newer);
    clock.advance(CACHE_SECONDS * 1000);

    const key = await signingKeys.current();

    expect(key.kid).toBe(newer.kid);
    expect(store.lists).toBe(2);
  });

  it('does not cache failed first load', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = signingKeysFor(store, clock);
    store.failNextList(new Error('table unavailable'));
    const failure = await rejectionOf(signingKeys.current());

    const key = await signingKeys.current();

    expect(failure).toHaveProperty('message', 'table unavailable');
    expect(key.kid).toBe(store.keys[0]?.kid);
    expect(store.lists).toBe(2);
  });

  it('does not cache failed reload', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = signingKeysFor(store, clock);
    await signingKeys.current();
    clock.advance(CACHE_SECONDS * 1000);
    store.failNextList(new Error('table unavailable'));
    const failure = await rejectionOf(signingKeys.current());

    const key = await signingKeys.current();

    expect(failure).toHaveProperty('message', 'table unavailable');
    expect(key.kid).toBe(store.keys[0]?.kid);
    expect(store.lists).toBe(3);
  });

  it('creates no key after failed load', async () => {
    const { store, clock } = await storeWithKeys();
    store.failNextList();

    await rejectionOf(signingKeysFor(store, clock).current());

    expect(store.creates).toBe(0);
  });
});

describe('SigningKeys.publicJwks', () => {
  it('publishes public members only', async () => {
    const { store, clock } = await storeWithKeys(1, 2);

    const { keys } = await signingKeysFor(store, clock).publicJwks();

    const members = keys.map((jwk) => Object.keys(jwk).sort().join(' '));
    expect(members).toEqual([
      'alg crv kid kty use x y',
      'alg crv kid kty use x y',
      'alg e kid kty n use',
      'alg crv kid kty use x',
    ]);
  });

  it('publishes kid, alg and use', async () => {
    const { store, clock } = await storeWithKeys(1);

    const { keys } = await signingKeysFor(store, clock).publicJwks();

    expect(keys[0]).toEqual({
      kid: store.keys[0]?.kid,
      alg: 'ES256',
      use: 'sig',
      kty: 'EC',
      crv: 'P-256',
      x: store.keys[0]?.publicJwk.x,
      y: store.keys[0]?.publicJwk.y,
    });
  });

  it('creates first key of each algorithm', async () => {
    const { store, clock } = await storeWithKeys();

    const { keys } = await signingKeysFor(store, clock).publicJwks();

    expect(store.keys.map((key) => key.algorithm).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    expect(keys.map((jwk) => jwk.kid).sort()).toEqual(store.keys.map((key) => key.kid).sort());
    expect(keys.find((jwk) => jwk.alg === 'EdDSA')).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
  });

  it('publishes next, current and retired keys', async () => {
    const { store, clock } = await storeWithKeys();
    const retired = {
      ...(await newKey(clock, 1)),
      state: 'retired' as const,
      version: 2,
      retireAfter: clock.now() + 1_000,
    };
    const current = await newKey(clock, 2);
    const next = await newKey(clock, 3, 'next');
    const revoked = { ...(await newKey(clock, 4)), state: 'revoked' as const, version: 2 };
    store.keys.push(retired, next, revoked, current);

    const { keys } = await signingKeysFor(store, clock).publicJwks();

    const es256 = keys.filter((jwk) => jwk.alg === 'ES256').map((jwk) => jwk.kid);
    expect(es256).toEqual([current.kid, next.kid, retired.kid]);
  });

  it('drops retired key at retireAfter', async () => {
    const { store, clock } = await storeWithKeys(2);
    const retired = {
      ...(await newKey(clock, 1)),
      state: 'retired' as const,
      version: 2,
      retireAfter: clock.now() + CACHE_SECONDS * 1000,
    };
    store.keys.push(retired);
    const signingKeys = signingKeysFor(store, clock);
    const before = await signingKeys.publicJwks();
    clock.advance(CACHE_SECONDS * 1000);

    const after = await signingKeys.publicJwks();

    expect(before.keys.map((jwk) => jwk.kid)).toContain(retired.kid);
    expect(after.keys.map((jwk) => jwk.kid)).not.toContain(retired.kid);
  });

  it('lists current keys first', async () => {
    const { store, clock } = await storeWithKeys();
    store.keys.push(await newKey(clock, 2, 'next'), await newKey(clock, 1));

    const { keys } = await signingKeysFor(store, clock).publicJwks();

    expect(keys.map((jwk) => jwk.kid)).toEqual([
      store.keys[1]?.kid,
      store.keys.find((key) => key.algorithm === 'RS256')?.kid,
      store.keys.find((key) => key.algorithm === 'EdDSA')?.kid,
      store.keys[0]?.kid,
    ]);
  });
});

describe('SigningKeys.verificationKey', () => {
  it('returns public key of published kid', async () => {
    const { store, clock } = await storeWithKeys(2);
    const older = { ...(await newKey(clock, 1)), state: 'retired' as const, version: 2 };
    store.keys.push(older);
    const signature = await sign(await privateKeyOf(older), 'ES256');

    const key = await signingKeysFor(store, clock).verificationKey(older.kid);

    expect(key?.kid).toBe(older.kid);
    expect(key?.algorithm).toBe('ES256');
    await expect(compactVerify(signature, key?.publicKey ?? new Uint8Array())).resolves.toEqual(
      expect.objectContaining({ payload: PAYLOAD }),
    );
  });

  it('returns key of next kid', async () => {
    const { store, clock } = await storeWithKeys(1);
    const next = await newKey(clock, 2, 'next');
    store.keys.push(next);

    const key = await signingKeysFor(store, clock).verificationKey(next.kid);

    expect(key?.kid).toBe(next.kid);
  });

  it('returns undefined for revoked kid', async () => {
    const { store, clock } = await storeWithKeys(2);
    const revoked = { ...(await newKey(clock, 1)), state: 'revoked' as const, version: 2 };
    store.keys.push(revoked);

    const key = await signingKeysFor(store, clock).verificationKey(revoked.kid);

    expect(key).toBeUndefined();
    expect(store.lists).toBe(1);
  });

  it('returns undefined after retireAfter', async () => {
    const { store, clock } = await storeWithKeys(2);
    const retired = {
      ...(await newKey(clock, 1)),
      state: 'retired' as const,
      version: 2,
      retireAfter: clock.now() + 1_000,
    };
    store.keys.push(retired);
    const signingKeys = signingKeysFor(store, clock);

    const before = await signingKeys.verificationKey(retired.kid);
    clock.advance(1_000);
    const after = await signingKeys.verificationKey(retired.kid);

    expect(before?.kid).toBe(retired.kid);
    expect(after).toBeUndefined();
  });

  it('returns undefined for unknown kid', async () => {
    const { store, clock } = await storeWithKeys(1);

    const key = await signingKeysFor(store, clock).verificationKey('retired-key');

    expect(key).toBeUndefined();
    expect(store.creates).toBe(0);
  });

  it('reloads key set loaded while empty', async () => {
    const { store, clock } = await storeWithKeys();
    const signingKeys = signingKeysFor(store, clock);
    await signingKeys.verificationKey('any');
    const created = await newKey(clock, 1);
    store.keys.push(created);

    const key = await signingKeys.verificationKey(created.kid);

    expect(key?.kid).toBe(created.kid);
    expect(store.creates).toBe(0);
  });

  it('finds verification key of either algorithm', async () => {
    const { store, clock } = await storeWithKeys(1);
    store.keys.push(await newKey(clock, 1, 'current', 'RS256'));
    const signingKeys = signingKeysFor(store, clock);

    const ecKey = await signingKeys.verificationKey(store.keys[0]?.kid ?? '');
    const rsaKey = await signingKeys.verificationKey(store.keys[1]?.kid ?? '');

    expect(ecKey?.algorithm).toBe('ES256');
    expect(rsaKey?.algorithm).toBe('RS256');
  });

  it('rereads store for unknown kid after 5 s', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = signingKeysFor(store, clock);
    await signingKeys.current();
    const created = await newKey(clock, 1, 'current', 'RS256');
    store.keys.push(created);

    const early = await signingKeys.verificationKey(created.kid);
    clock.advance(5_000);
    const later = await signingKeys.verificationKey(created.kid);

    expect(early).toBeUndefined();
    expect(later?.kid).toBe(created.kid);
    expect(store.lists).toBe(2);
  });
});

describe('generateSigningKey', () => {
  it('uses random distinct kids', async () => {
    const clock = new FrozenClock();

    const first = await newKey(clock, 1);
    const second = await newKey(clock, 1);

    expect(first.kid).not.toBe(second.kid);
  });

  it('puts kid in public and private JWK', async () => {
    const key = await newKey(new FrozenClock(), 1);

    const privateJwk = await TEST_KEY_ENCRYPTION.decrypt(
      key.encryptedPrivateKey as EncryptedPrivateKey,
      key.kid,
    );
    expect(key.publicJwk.kid).toBe(key.kid);
    expect(privateJwk.kid).toBe(key.kid);
  });

  it('creates next key without activation time', async () => {
    const key = await newKey(new FrozenClock(), 3, 'next');

    expect(key.state).toBe('next');
    expect(key.generation).toBe(3);
    expect(key.version).toBe(1);
    expect(key.activatedAt).toBeUndefined();
  });

  it('generates 2048-bit RS256 key', async () => {
    const { publicJwk } = await generateKeyPairJwks('RS256');

    const modulus = Buffer.from(String(publicJwk.n), 'base64url');
    expect(publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(modulus.length * 8).toBe(2048);
    expect(publicJwk).not.toHaveProperty('d');
  });

  it('generates Ed25519 key for EdDSA', async () => {
    const { publicJwk } = await generateKeyPairJwks('EdDSA');

    expect(publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(publicJwk).not.toHaveProperty('d');
  });

  it('keeps private member in private JWK only', async () => {
    const { publicJwk, privateJwk } = await generateKeyPairJwks('ES256');

    expect(privateJwk).toHaveProperty('d');
    expect(publicJwk).not.toHaveProperty('d');
  });
});
