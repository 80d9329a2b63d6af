/**
 * Signing keys: the current key of each algorithm, which signs tokens, and the public keys
 * published in the JWKS. A warm function keeps them in memory for a short time. When an
 * algorithm has no key yet, the first caller creates one. A conditional write in the store
 * makes concurrent first calls (several cold starts at once) agree on a single key.
 */
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.ts';

export type SigningAlgorithm = 'ES256' | 'RS256';

/**
 * The algorithms that the server signs with. Access tokens use ES256. A client chooses the
 * algorithm of its ID tokens, because some relying parties verify only RS256.
 */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['ES256', 'RS256'];

/** The modulus length of RS256 keys, in bits. */
const RSA_MODULUS_BITS = 2048;

/**
 * How long after loading the key set an unknown kid makes verificationKey() read the store
 * again. Another instance may have just created a key, but a flood of made-up kids should
 * not cost a read each.
 */
const UNKNOWN_KID_RELOAD_MILLISECONDS = 5_000;

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

/** A published key that verifies the signatures of the server's own tokens. */
export interface VerificationKey {
  kid: string;
  algorithm: SigningAlgorithm;
  publicKey: CryptoKey;
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
  readonly #importedPublic = new Map<string, Promise<CryptoKey>>();

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

  /**
   * Returns the public keys to publish, creating the first key of every algorithm that has
   * none, so that a relying party's cached key set already contains any key that signs later.
   */
  async publicJwks(): Promise<{ keys: JWK[] }> {
    await Promise.all(SIGNING_ALGORITHMS.map((algorithm) => this.current(algorithm)));
    const { keys } = await this.#keys();
    return { keys: keys.map((key) => ({ ...key.publicJwk })) };
  }

  /**
   * Returns the public key of a published signing key, for verifying the server's own tokens,
   * or undefined when no published key has this kid. It never creates a key. A key set loaded
   * while no key existed yet is read again, so that the first key works at once, and so is
   * one loaded UNKNOWN_KID_RELOAD_MILLISECONDS or more before a kid that it lacks.
   */
  async verificationKey(kid: string): Promise<VerificationKey | undefined> {
    const loaded = await this.#keys();
    let { keys } = loaded;
    const age = this.#clock.now() - loaded.loadedAt;
    const missing = !keys.some((candidate) => candidate.kid === kid);
    if (keys.length === 0 || (missing && age >= UNKNOWN_KID_RELOAD_MILLISECONDS)) {
      keys = (await this.#reload()).keys;
    }

    const key = keys.find((candidate) => candidate.kid === kid);
    if (key === undefined) return undefined;
    return { kid: key.kid, algorithm: key.algorithm, publicKey: await this.#importPublic(key) };
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

  #importPublic(key: StoredSigningKey): Promise<CryptoKey> {
    let imported = this.#importedPublic.get(key.kid);
    if (imported === undefined) {
      imported = importJWK(key.publicJwk, key.algorithm) as Promise<CryptoKey>;
      this.#importedPublic.set(key.kid, imported);
    }
    return imported;
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
  const { publicKey, privateKey } = await generateKeyPair(algorithm, {
    extractable: true,
    ...(algorithm === 'RS256' ? { modulusLength: RSA_MODULUS_BITS } : {}),
  });
  const kid = randomBytes(12).toString('base64url');
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: algorithm, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: algorithm };

  return { kid, algorithm, generation, publicJwk, privateJwk, createdAt: clock.now() };
}
