/**
 * Signing keys: the current key of each algorithm, which signs tokens, and the public keys
 * published in the JWKS. A warm function keeps them in memory for MEMORY_CACHE_SECONDS, so a
 * rotation or a revocation reaches it within that time after the table has it.
 *
 * Every key has a state (see signing-key-lifecycle.ts): `next` keys are published but do not
 * sign yet, the `current` key signs, `retired` keys stay published until the tokens they
 * signed have expired, and `revoked` keys are neither published nor accepted. When an
 * algorithm has no current key, the first caller creates one directly in the `current` state,
 * so a fresh deployment works before any rotation. A conditional write in the store makes
 * concurrent first calls (several cold starts at once) agree on a single key. Only creating
 * keys, never changing them, keeps the functions that serve requests at PutItem.
 */
import { importJWK, type CryptoKey, type JWK } from 'jose';
import type { Clock } from './clock.ts';
import type { EncryptedPrivateKey, KeyEncryption } from './key-encryption.ts';
import { createKey, currentKey, isPublished } from './signing-key-lifecycle.ts';

export type SigningAlgorithm = 'ES256' | 'RS256' | 'EdDSA';

/**
 * The algorithms that the server signs with. Access tokens use ES256. A client chooses the
 * algorithm of its ID tokens, because some relying parties verify only RS256. EdDSA keys are
 * Ed25519 keys (RFC 8037).
 */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['ES256', 'RS256', 'EdDSA'];

export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = 'ES256';

/**
 * How long clients and resource servers may cache the key set (the JWKS `max-age`). A new
 * signing key must be published at least this long before it signs, so every cached copy
 * contains it in time.
 */
export const JWKS_MAX_AGE_SECONDS = 300;

export type SigningKeyState = 'next' | 'current' | 'retired' | 'revoked';

export const SIGNING_KEY_STATES: readonly SigningKeyState[] = [
  'next',
  'current',
  'retired',
  'revoked',
];

/**
 * How long after loading the key set an unknown kid makes verificationKey() read the store
 * again. Another instance may have just created a key, but a flood of made-up kids should
 * not cost a read each.
 */
const UNKNOWN_KID_RELOAD_MILLISECONDS = 5_000;

/** A signing key as the store keeps it. Times are milliseconds since the Unix epoch. */
export interface StoredSigningKey {
  kid: string;
  algorithm: SigningAlgorithm;
  /** Orders the keys of one algorithm by creation. */
  generation: number;
  state: SigningKeyState;
  /**
   * The number of writes to the key. Every change increments it, and conditional writes
   * compare it. It is 0 for a key written before key states existed.
   */
  version: number;
  publicJwk: JWK;
  /** The private JWK, encrypted. Erased when the key is retired or revoked. */
  encryptedPrivateKey?: EncryptedPrivateKey;
  /** The private JWK in plaintext, as versions before key encryption stored it. */
  privateJwk?: JWK;
  createdAt: number;
  /** When the key became current. */
  activatedAt?: number;
  /** When a retired key leaves the JWKS: every token that it signed has expired by then. */
  retireAfter?: number;
  revokedAt?: number;
}

/** A change of state, with the attributes that the new state adds. */
export interface SigningKeyUpdate {
  state: SigningKeyState;
  activatedAt?: number;
  retireAfter?: number;
  revokedAt?: number;
  /**
   * An encrypted private key that replaces the stored one (and any plaintext one), or null to
   * erase both. The private key stays as it is when this is absent.
   */
  encryptedPrivateKey?: EncryptedPrivateKey | null;
}

/**
 * The table's signing keys. Every write is a single-item conditional write, so concurrent
 * writers, in one region or several, cannot both succeed on the same key.
 */
export interface SigningKeyStore {
  listSigningKeys(): Promise<StoredSigningKey[]>;
  /** Stores a key unless its algorithm and generation already exist; returns whether it did. */
  createSigningKey(key: StoredSigningKey): Promise<boolean>;
  /**
   * Applies the update and increments the version if the stored key still has the state and
   * version of `key`. Returns whether it did.
   */
  updateSigningKey(key: StoredSigningKey, update: SigningKeyUpdate): Promise<boolean>;
  /** Deletes the key if it still has the state and version of `key`. Returns whether it did. */
  deleteSigningKey(key: StoredSigningKey): Promise<boolean>;
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
  readonly #keyEncryption: KeyEncryption;
  #loaded: Promise<LoadedKeys> | undefined;
  readonly #importedPrivate = new Map<string, Promise<CryptoKey>>();
  readonly #importedPublic = new Map<string, Promise<CryptoKey>>();

  constructor(
    store: SigningKeyStore,
    clock: Clock,
    cacheSeconds: number,
    keyEncryption: KeyEncryption,
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#cacheMilliseconds = cacheSeconds * 1000;
    this.#keyEncryption = keyEncryption;
  }

  /**
   * Returns the current key, which signs new tokens, decrypting its private key once per
   * instance. When the algorithm has no current key, this creates one.
   */
  async current(algorithm: SigningAlgorithm = DEFAULT_SIGNING_ALGORITHM): Promise<ActiveSigningKey> {
    const key = await this.#currentKey(algorithm);
    return { kid: key.kid, algorithm: key.algorithm, privateKey: await this.#importPrivate(key) };
  }

  /**
   * Returns the public keys to publish: next, current and retired keys until their
   * `retireAfter`. It first creates a current key for every algorithm that has none, so that
   * a relying party's cached key set already contains any key that signs later.
   */
  async publicJwks(): Promise<{ keys: JWK[] }> {
    await Promise.all(SIGNING_ALGORITHMS.map((algorithm) => this.#currentKey(algorithm)));
    const { keys } = await this.#keys();
    const now = this.#clock.now();
    const published = keys.filter((key) => isPublished(key, now)).sort(byPublicationOrder);
    return { keys: published.map((key) => ({ ...key.publicJwk })) };
  }

  /**
   * Returns the public key of a published signing key, for verifying the server's own tokens,
   * or undefined when no published key has this kid: revoked keys and retired keys past
   * `retireAfter` count as unknown. It never creates a key. A key set loaded while no key
   * existed yet is read again, so that the first key works at once, and so is one loaded
   * UNKNOWN_KID_RELOAD_MILLISECONDS or more before a kid that it lacks.
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
    if (key === undefined || !isPublished(key, this.#clock.now())) return undefined;
    return { kid: key.kid, algorithm: key.algorithm, publicKey: await this.#importPublic(key) };
  }

  async #currentKey(algorithm: SigningAlgorithm): Promise<StoredSigningKey> {
    const cached = currentKey((await this.#keys()).keys, algorithm);
    if (cached !== undefined) return cached;

    // Read again before writing: another instance may have created or promoted a key since.
    const { keys } = await this.#reload();
    const stored = currentKey(keys, algorithm);
    if (stored !== undefined) return stored;

    // Losing the race is fine: the reload that follows finds the winner's key.
    const writer = { store: this.#store, keyEncryption: this.#keyEncryption, clock: this.#clock };
    await createKey(writer, keys, algorithm, 'current');
    const created = currentKey((await this.#reload()).keys, algorithm);
    if (created === undefined) throw new Error(`no current ${algorithm} key after creating one`);
    return created;
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

  /** Decrypts and imports a private key once per instance; a failure is retried next time. */
  #importPrivate(key: StoredSigningKey): Promise<CryptoKey> {
    let imported = this.#importedPrivate.get(key.kid);
    if (imported === undefined) {
      const importing = this.#decryptPrivate(key).then(
        (jwk) => importJWK(jwk, key.algorithm) as Promise<CryptoKey>,
      );
      importing.catch(() => {
        if (this.#importedPrivate.get(key.kid) === importing) this.#importedPrivate.delete(key.kid);
      });
      this.#importedPrivate.set(key.kid, importing);
      imported = importing;
    }
    return imported;
  }

  async #decryptPrivate(key: StoredSigningKey): Promise<JWK> {
    if (key.encryptedPrivateKey !== undefined) {
      return this.#keyEncryption.decrypt(key.encryptedPrivateKey, key.kid);
    }
    if (key.privateJwk !== undefined) return key.privateJwk;
    throw new Error(`The ${key.state} signing key ${key.kid} has no private key.`);
  }
}

const STATE_ORDER: readonly SigningKeyState[] = ['current', 'next', 'retired', 'revoked'];

/**
 * Orders the JWKS by state: current keys first, for clients that wrongly take the first key,
 * then next keys, then retired ones. Within a state, keys follow SIGNING_ALGORITHMS, and the
 * newest generation comes first.
 */
function byPublicationOrder(first: StoredSigningKey, second: StoredSigningKey): number {
  return (
    STATE_ORDER.indexOf(first.state) - STATE_ORDER.indexOf(second.state) ||
    SIGNING_ALGORITHMS.indexOf(first.algorithm) - SIGNING_ALGORITHMS.indexOf(second.algorithm) ||
    second.generation - first.generation
  );
}
