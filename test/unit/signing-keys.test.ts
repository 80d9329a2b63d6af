import { compactVerify, CompactSign, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateSigningKey, SigningKeys } from '../../functions/oauth/signing-keys.ts';
import { FrozenClock, InMemorySigningKeyStore, rejectionOf } from './support.ts';

const CACHE_SECONDS = 60;

async function storeWithKeys(...generations: number[]) {
  const store = new InMemorySigningKeyStore();
  const clock = new FrozenClock();
  for (const generation of generations) {
    store.keys.push(await generateSigningKey('ES256', generation, clock));
  }
  return { store, clock };
}

describe('SigningKeys', () => {
  it('creates first key in empty store', async () => {
    const { store, clock } = await storeWithKeys();
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);

    const key = await signingKeys.current();

    expect(store.keys).toHaveLength(1);
    expect(key.kid).toBe(store.keys[0]?.kid);
    expect(key.algorithm).toBe('ES256');
    expect(store.keys[0]?.generation).toBe(1);
    expect(store.keys[0]?.createdAt).toBe(clock.now());
  });

  it('returns stored key without creating', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);

    const key = await signingKeys.current();

    expect(key.kid).toBe(store.keys[0]?.kid);
    expect(store.creates).toBe(0);
  });

  it('returns newest generation', async () => {
    const { store, clock } = await storeWithKeys(2, 3, 1);
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);

    const key = await signingKeys.current();

    expect(key.kid).toBe(store.keys[1]?.kid);
  });

  it('returns private key matching public key', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);
    const payload = new TextEncoder().encode('payload');

    const key = await signingKeys.current();
    const signature = await new CompactSign(payload)
      .setProtectedHeader({ alg: key.algorithm })
      .sign(key.privateKey);

    const publicKey = await importJWK(store.keys[0]?.publicJwk ?? {}, 'ES256');
    const verified = await compactVerify(signature, publicKey);
    expect(new TextDecoder().decode(verified.payload)).toBe('payload');
  });

  it('creates one key under race', async () => {
    const { store, clock } = await storeWithKeys();
    const instances = Array.from(
      { length: 20 },
      () => new SigningKeys(store, clock, CACHE_SECONDS),
    );

    const keys = await Promise.all(instances.map((signingKeys) => signingKeys.current()));

    // More than one create shows that several instances found the store empty and raced.
    expect(store.creates).toBeGreaterThan(1);
    expect(store.keys).toHaveLength(1);
    expect(new Set(keys.map((key) => key.kid))).toEqual(new Set([store.keys[0]?.kid]));
  });

  it('publishes public members only', async () => {
    const { store, clock } = await storeWithKeys(1, 2);
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);

    const { keys } = await signingKeys.publicJwks();

    expect(keys).toHaveLength(2);
    for (const jwk of keys) {
      expect(jwk).not.toHaveProperty('d');
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    }
  });

  it('publishes kid, alg and use', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);

    const { keys } = await signingKeys.publicJwks();

    expect(keys[0]).toMatchObject({
      kid: store.keys[0]?.kid,
      alg: 'ES256',
      use: 'sig',
      kty: 'EC',
      crv: 'P-256',
    });
  });

  it('creates first key for JWKS', async () => {
    const { store, clock } = await storeWithKeys();
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);

    const { keys } = await signingKeys.publicJwks();

    expect(keys.map((jwk) => jwk.kid)).toEqual([store.keys[0]?.kid]);
  });

  it('serves cached keys before expiry', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);
    const first = await signingKeys.current();
    store.keys.push(await generateSigningKey('ES256', 2, clock));
    clock.advance(CACHE_SECONDS * 1000 - 1);

    const key = await signingKeys.current();

    expect(key.kid).toBe(first.kid);
    expect(store.lists).toBe(1);
  });

  it('rereads store after expiry', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);
    await signingKeys.current();
    const newer = await generateSigningKey('ES256', 2, clock);
    store.keys.push(newer);
    clock.advance(CACHE_SECONDS * 1000);

    const key = await signingKeys.current();

    expect(key.kid).toBe(newer.kid);
    expect(store.lists).toBe(2);
  });

  it('does not cache failed first load', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);
    store.failNextList(new Error('table unavailable'));
    const failure = await rejectionOf(signingKeys.current());

    const key = await signingKeys.current();

    expect(failure).toHaveProperty('message', 'table unavailable');
    expect(key.kid).toBe(store.keys[0]?.kid);
    expect(store.lists).toBe(2);
  });

  it('does not cache failed reload', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);
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
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);
    store.failNextList();

    await rejectionOf(signingKeys.current());

    expect(store.creates).toBe(0);
  });
});

describe('generateSigningKey', () => {
  it('uses random distinct kids', async () => {
    const clock = new FrozenClock();

    const first = await generateSigningKey('ES256', 1, clock);
    const second = await generateSigningKey('ES256', 1, clock);

    expect(first.kid).not.toBe(second.kid);
  });

  it('puts kid in both JWKs', async () => {
    const key = await generateSigningKey('ES256', 1, new FrozenClock());

    expect(key.publicJwk.kid).toBe(key.kid);
    expect(key.privateJwk.kid).toBe(key.kid);
  });

  it('keeps private member in private JWK', async () => {
    const key = await generateSigningKey('ES256', 1, new FrozenClock());

    expect(key.privateJwk).toHaveProperty('d');
    expect(key.publicJwk).not.toHaveProperty('d');
  });
});
