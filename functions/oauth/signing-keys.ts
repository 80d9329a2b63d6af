/**
 * Signing keys: the current key that signs tokens and the public keys published in the JWKS.
 * A warm function keeps them in memory for a short time. When no key exists yet, the first
 * caller creates one; a conditional write in the store makes concurrent first calls (several
 * cold starts at once) agree on a single key.
 */
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.ts';

export type SigningAlgorithm = 'ES256';

export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = 'ES256';

/** A signing key as the store keeps it. */
export interface StoredSigningKey {
  kid: string;
  algorithm: SigningAlgorithm;
  /** Orders the keys of one algorithm: the highest generation is the current key. */
  generation: number;
  publicJwk: JWK;
  privateJwk: JWK;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
}

export interface SigningKeyStore {
  listSigningKeys(): Promise<StoredSigningKey[]>;
  /** Stores a key unless its algorithm and generation already exist; returns whether it did. */
  createSigningKey(key: StoredSigningKey): Promise<boolean>;
}

export interface ActiveSigningKey {
  kid: string;
  algorithm: SigningAlgorithm;
  privateKey: CryptoKey;
}

interface LoadedKeys {
  keys: StoredSigningKey[];
  loadedAt: number;
}

export class SigningKeys {
  readonly #store: SigningKeyStore;
  readonly #clock: Clock;
  readonly #cacheMilliseconds: number;
  #loaded: Promise<LoadedKeys> | undefined;
  readonly #imported = new Map<string, Promise<CryptoKey>>();

  constructor(store: SigningKeyStore, clock: Clock, cacheSeconds: number) {
    this.#store = store;
    this.#clock = clock;
    this.#cacheMilliseconds = cacheSeconds * 1000;
  }

  /** Returns the key that signs new tokens, creating the first one if none exists. */
  async current(algorithm: SigningAlgorithm = DEFAULT_SIGNING_ALGORITHM): Promise<ActiveSigningKey> {
    let key = newestKey((await this.#keys()).keys, algorithm);
    if (key === undefined) {
      await this.#createFirstKey(algorithm);
      key = newestKey((await this.#reload()).keys, algorithm);
    }
    if (key === undefined) throw new Error(`no ${algorithm} signing key after creating one`);

    return { kid: key.kid, algorithm: key.algorithm, privateKey: await this.#import(key) };
  }

  /** Returns the public keys to publish, creating the first key if none exists. */
  async publicJwks(): Promise<{ keys: JWK[] }> {
    await this.current();
    const { keys } = await this.#keys();
    return { keys: keys.map((key) => ({ ...key.publicJwk })) };
  }

  async #createFirstKey(algorithm: SigningAlgorithm): Promise<void> {
    const key = await generateSigningKey(algorithm, 1, this.#clock);
    // Losing the race is fine: the reload that follows finds the winner's key.
    await this.#store.createSigningKey(key);
  }

  #keys(): Promise<LoadedKeys> {
    const loaded = this.#loaded;
    if (loaded === undefined) return this.#reload();
    return loaded.then((current) =>
      this.#clock.now() - current.loadedAt < this.#cacheMilliseconds ? current : this.#reload(),
    );
  }

  #reload(): Promise<LoadedKeys> {
    const loading = this.#store
      .listSigningKeys()
      .then((keys) => ({ keys, loadedAt: this.#clock.now() }));
    this.#loaded = loading;
    // A failed load must not stay cached: the next call tries the store again.
    loading.catch(() => {
      if (this.#loaded === loading) this.#loaded = undefined;
    });
    return loading;
  }

  #import(key: StoredSigningKey): Promise<CryptoKey> {
    let imported = this.#imported.get(key.kid);
    if (imported === undefined) {
      imported = importJWK(key.privateJwk, key.algorithm) as Promise<CryptoKey>;
      this.#imported.set(key.kid, imported);
    }
    return imported;
  }
}

function newestKey(keys: StoredSigningKey[], algorithm: SigningAlgorithm) {
  return keys
    .filter((key) => key.algorithm === algorithm)
    .reduce<StoredSigningKey | undefined>(
      (newest, key) => (newest === undefined || key.generation > newest.generation ? key : newest),
      undefined,
    );
}

/** Generates a key pair and its JWKs. The kid is random, so it reveals nothing about the key. */
export async function generateSigningKey(
  algorithm: SigningAlgorithm,
  generation: number,
  clock: Clock,
): Promise<StoredSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(algorithm, { extractable: true });
  const kid = randomBytes(12).toString('base64url');
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: algorithm, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: algorithm };

  return { kid, algorithm, generation, publicJwk, privateJwk, createdAt: clock.now() };
}
