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

    expect(keys).toHaveLength(3);
    const members = keys.map((jwk) => Object.keys(jwk).sort().join(' '));
    expect(members).toEqual([
      'alg crv kid kty use x y',
      'alg crv kid kty use x y',
      'alg e kid kty n use',
    ]);
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

  it('creates first key of each algorithm for JWKS', async () => {
    const { store, clock } = await storeWithKeys();
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);

    const { keys } = await signingKeys.publicJwks();

    expect(store.keys.map((key) => key.algorithm).sort()).toEqual(['ES256', 'RS256']);
    expect(keys.map((jwk) => jwk.kid).sort()).toEqual(store.keys.map((key) => key.kid).sort());
  });

  it('creates RS256 key beside ES256 key', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);

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
    const instances = Array.from(
      { length: 10 },
      () => new SigningKeys(store, clock, CACHE_SECONDS),
    );

    const keys = await Promise.all(instances.map((signingKeys) => signingKeys.current('RS256')));

    const rsaKeys = store.keys.filter((key) => key.algorithm === 'RS256');
    expect(store.creates).toBeGreaterThan(1);
    expect(rsaKeys).toHaveLength(1);
    expect(new Set(keys.map((key) => key.kid))).toEqual(new Set([rsaKeys[0]?.kid]));
  });

  it('signs RS256 verifiable with public key', async () => {
    const { store, clock } = await storeWithKeys();
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);
    const payload = new TextEncoder().encode('payload');

    const key = await signingKeys.current('RS256');
    const signature = await new CompactSign(payload)
      .setProtectedHeader({ alg: 'RS256' })
      .sign(key.privateKey);

    const publicKey = await importJWK(store.keys[0]?.publicJwk ?? {}, 'RS256');
    const verified = await compactVerify(signature, publicKey);
    expect(new TextDecoder().decode(verified.payload)).toBe('payload');
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

describe('SigningKeys.verificationKey', () => {
  it('returns public key of published kid', async () => {
    const { store, clock } = await storeWithKeys(1, 2);
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);
    const older = store.keys[0];
    const signature = await new CompactSign(new TextEncoder().encode('payload'))
      .setProtectedHeader({ alg: 'ES256' })
      .sign(await importJWK(older?.privateJwk ?? {}, 'ES256'));

    const key = await signingKeys.verificationKey(older?.kid ?? '');

    expect(key?.kid).toBe(older?.kid);
    expect(key?.algorithm).toBe('ES256');
    await expect(compactVerify(signature, key?.publicKey ?? new Uint8Array())).resolves.toBeDefined();
  });

  it('returns undefined for unknown kid', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);

    const key = await signingKeys.verificationKey('retired-key');

    expect(key).toBeUndefined();
    expect(store.creates).toBe(0);
  });

  it('reloads key set loaded while empty', async () => {
    const { store, clock } = await storeWithKeys();
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);
    await signingKeys.verificationKey('any');
    const created = await generateSigningKey('ES256', 1, clock);
    store.keys.push(created);

    const key = await signingKeys.verificationKey(created.kid);

    expect(key?.kid).toBe(created.kid);
    expect(store.creates).toBe(0);
  });

  it('finds verification key of either algorithm', async () => {
    const { store, clock } = await storeWithKeys(1);
    store.keys.push(await generateSigningKey('RS256', 1, clock));
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);

    const ecKey = await signingKeys.verificationKey(store.keys[0]?.kid ?? '');
    const rsaKey = await signingKeys.verificationKey(store.keys[1]?.kid ?? '');

    expect(ecKey?.algorithm).toBe('ES256');
    expect(rsaKey?.algorithm).toBe('RS256');
  });

  it('rereads store for unknown kid after 5 s', async () => {
    const { store, clock } = await storeWithKeys(1);
    const signingKeys = new SigningKeys(store, clock, CACHE_SECONDS);
    await signingKeys.current();
    const created = await generateSigningKey('RS256', 1, clock);
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

    const first = await generateSigningKey('ES256', 1, clock);
    const second = await generateSigningKey('ES256', 1, clock);

    expect(first.kid).not.toBe(second.kid);
  });

  it('puts kid in both JWKs', async () => {
    const key = await generateSigningKey('ES256', 1, new FrozenClock());

    expect(key.publicJwk.kid).toBe(key.kid);
    expect(key.privateJwk.kid).toBe(key.kid);
  });

  it('generates 2048-bit RS256 key', async () => {
    const key = await generateSigningKey('RS256', 1, new FrozenClock());

    const modulus = Buffer.from(String(key.publicJwk.n), 'base64url');
    expect(key.publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(modulus.length * 8).toBe(2048);
    expect(key.publicJwk).not.toHaveProperty('d');
  });

  it('keeps private member in private JWK', async () => {
    const key = await generateSigningKey('ES256', 1, new FrozenClock());

    expect(key.privateJwk).toHaveProperty('d');
    expect(key.publicJwk).not.toHaveProperty('d');
  });
});
