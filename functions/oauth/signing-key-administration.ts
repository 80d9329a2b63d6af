/**
 * Administration of the signing keys: listing, rotating and revoking them, for the command
 * line, and the scheduled rotation. See signing-key-lifecycle.ts for the states and why each
 * write is safe when several rotations run at once.
 */
import type { Clock } from './clock.ts';
import type { KeyEncryption } from './key-encryption.ts';
import {
  createKey,
  currentKey,
  keysIn,
  nextKey,
  promoteKey,
  replaceMissingCurrentKey,
  retireKey,
  revokeKey,
  type SigningKeyWriter,
} from './signing-key-lifecycle.ts';
import {
  JWKS_MAX_AGE_SECONDS,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  type SigningKeyState,
  type SigningKeyStore,
  type StoredSigningKey,
} from './signing-keys.ts';

export interface SigningKeyLifecycleSettings {
  /** How long a key is current before the scheduled rotation promotes its successor. */
  rotationPeriodSeconds: number;
  /** How long a next key must have been published before a rotation may promote it. */
  publicationSeconds: number;
  /** How long a retired key stays published, so that every token it signed expires first. */
  retentionSeconds: number;
}

/**
 * Time added to the publication and retention periods for replication between regions and
 * for differences between the clocks of hosts. Replication usually takes under a second.
 */
export const PROPAGATION_MARGIN_SECONDS = 60;

const SECONDS_PER_DAY = 86_400;

/**
 * Derives the lifecycle periods from the server configuration. A next key may sign once every
 * cached JWKS (JWKS_MAX_AGE_SECONDS) and every function's cached key set
 * (`memoryCacheSeconds`) contains it. A retired key stays published for the longest token
 * lifetime, plus the time a warm function may keep signing with its cached copy.
 */
// NOTE: a client's own accessTokenLifetimeSeconds may exceed the server's. Its tokens stop
// verifying when the signing key leaves the JWKS, before they expire.
export function signingKeyLifecycleSettings(config: {
  keyRotationDays: number;
  accessTokenLifetimeSeconds: number;
  idTokenLifetimeSeconds: number;
  memoryCacheSeconds: number;
}): SigningKeyLifecycleSettings {
  const longestTokenSeconds = Math.max(
    config.accessTokenLifetimeSeconds,
    config.idTokenLifetimeSeconds,
  );
  return {
    rotationPeriodSeconds: config.keyRotationDays * SECONDS_PER_DAY,
    publicationSeconds:
      JWKS_MAX_AGE_SECONDS + config.memoryCacheSeconds + PROPAGATION_MARGIN_SECONDS,
    retentionSeconds: longestTokenSeconds + config.memoryCacheSeconds + PROPAGATION_MARGIN_SECONDS,
  };
}

/** A signing key without its key material. Times are milliseconds since the Unix epoch. */
export interface SigningKeyInfo {
  kid: string;
  algorithm: SigningAlgorithm;
  state: SigningKeyState;
  generation: number;
  createdAt: number;
  activatedAt?: number;
  retireAfter?: number;
  revokedAt?: number;
}

/** The kids of the keys that one rotation created, promoted to current, and retired. */
export interface RotationResult {
  created?: string;
  promoted?: string;
  retired?: string;
}

export interface RotationOptions {
  /**
   * Promote the next key now, even if it was published too briefly for every cached JWKS to
   * contain it. Relying parties whose cache lacks the key reject its tokens until they fetch
   * the JWKS again, which most client libraries do on an unknown kid.
   */
  immediate?: boolean;
}

/** The changes of one run of the scheduled rotation. */
export interface ScheduledRotationReport {
  rotations: Partial<Record<SigningAlgorithm, RotationResult>>;
  /** Retired keys deleted because every token they signed has expired. */
  deleted: string[];
  /** Keys stored in plaintext by older versions, now encrypted. */
  encrypted: string[];
}

/** Thrown by revoke() for a kid that no stored key has. */
export class UnknownSigningKeyError extends Error {
  override name = 'UnknownSigningKeyError';
}

/** How often revoke() reads the key again when a concurrent write changed it. */
const REVOKE_ATTEMPTS = 3;

export class SigningKeyAdministration {
  readonly #store: SigningKeyStore;
  readonly #clock: Clock;
  readonly #settings: SigningKeyLifecycleSettings;
  readonly #writer: SigningKeyWriter;

  constructor(
    store: SigningKeyStore,
    keyEncryption: KeyEncryption,
    clock: Clock,
    settings: SigningKeyLifecycleSettings,
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#settings = settings;
    this.#writer = { store, keyEncryption, clock };
  }

  /** Lists every stored key, by algorithm and then generation. */
  async listKeys(): Promise<SigningKeyInfo[]> {
    const keys = await this.#store.listSigningKeys();
    return keys.sort(byAlgorithmAndGeneration).map(describeKey);
  }

  /**
   * Rotates one algorithm's keys now, whatever the current key's age. Creates a next key if
   * there is none, and promotes the next key once it has been published for
   * `publicationSeconds`, or at once with `immediate`. A promotion retires the previous current
   * key and, unless this call created the promoted key, creates its successor as the next key.
   * An algorithm without a current key gets one: its next key, promoted at once, or a new key.
   * Returns what this call wrote. When a concurrent rotation wrote first, this call's
   * conditional write fails and the result omits it.
   */
  async rotate(
    algorithm: SigningAlgorithm,
    { immediate = false }: RotationOptions = {},
  ): Promise<RotationResult> {
    const keys = await this.#store.listSigningKeys();
    const current = currentKey(keys, algorithm);
    if (current === undefined) return replaceMissingCurrentKey(this.#writer, keys, algorithm);

    const existing = nextKey(keys, algorithm);
    if (existing !== undefined) {
      if (!immediate && !this.#mayPromote(existing)) return {};
      return this.#promoteAndReplace(keys, existing, current);
    }

    const created = await createKey(this.#writer, keys, algorithm, 'next');
    if (created === undefined) return {};
    if (!immediate) return { created: created.kid };
    return { created: created.kid, ...(await this.#promote(created, current)) };
  }

  /**
   * Revokes a key and erases its private key. Once a function's key cache expires, the key
   * leaves its JWKS, and tokens that it signed fail verification and introspection there. A
   * revoked current key is replaced at once by the next key, or by a new key. Revoking a
   * revoked key does nothing.
   */
  async revoke(kid: string): Promise<void> {
    for (let attempt = 0; attempt < REVOKE_ATTEMPTS; attempt++) {
      const keys = await this.#store.listSigningKeys();
      const key = keys.find((candidate) => candidate.kid === kid);
      if (key === undefined) throw new UnknownSigningKeyError(`No signing key has kid ${kid}.`);
      if (key.state === 'revoked') return;

      if (await revokeKey(this.#writer, key)) {
        // The revoked key still counts for the generation of a replacement.
        const remaining = keys.filter((candidate) => candidate.kid !== kid);
        if (key.state === 'current' && currentKey(remaining, key.algorithm) === undefined) {
          await replaceMissingCurrentKey(this.#writer, keys, key.algorithm);
        }
        return;
      }
      // A concurrent write changed the key: read it again and retry.
    }
    throw new Error(`The signing key ${kid} changed during each of ${REVOKE_ATTEMPTS} attempts.`);
  }

  /**
   * Runs the scheduled rotation. It first encrypts keys that older versions stored in
   * plaintext. Then, for each algorithm, it promotes the next key once the current key is older
   * than `rotationPeriodSeconds` and the next key has been published long enough, and it
   * creates a next key when there is none. Last, it deletes retired keys past `retireAfter`.
   * An algorithm without a current key is left to first use, because in the eventual
   * consistency mode two regions that create a first current key at once would each sign with
   * their own.
   */
  async runScheduledRotation(): Promise<ScheduledRotationReport> {
    const encrypted = await this.#encryptPlaintextKeys(await this.#store.listSigningKeys());
    const keys = await this.#store.listSigningKeys();

    const rotations: ScheduledRotationReport['rotations'] = {};
    for (const algorithm of SIGNING_ALGORITHMS) {
      const result = await this.#rotateIfDue(keys, algorithm);
      if (Object.keys(result).length > 0) rotations[algorithm] = result;
    }
    return { rotations, deleted: await this.#deleteExpiredKeys(keys), encrypted };
  }

  async #rotateIfDue(
    keys: StoredSigningKey[],
    algorithm: SigningAlgorithm,
  ): Promise<RotationResult> {
    const current = currentKey(keys, algorithm);
    if (current === undefined) return {};

    const result = await this.#retireSupersededKeys(keys, algorithm, current);
    const next = nextKey(keys, algorithm);
    if (next === undefined) {
      const created = await createKey(this.#writer, keys, algorithm, 'next');
      return created === undefined ? result : { ...result, created: created.kid };
    }
    if (!this.#isDue(current) || !this.#mayPromote(next)) return result;
    return { ...result, ...(await this.#promoteAndReplace(keys, next, current)) };
  }

  /**
   * Retires current keys older than the newest one. They exist when a promotion stopped
   * between its two writes.
   */
  async #retireSupersededKeys(
    keys: StoredSigningKey[],
    algorithm: SigningAlgorithm,
    current: StoredSigningKey,
  ): Promise<RotationResult> {
    const result: RotationResult = {};
    for (const superseded of keysIn(keys, algorithm, 'current')) {
      if (superseded.kid === current.kid) continue;
      if (await retireKey(this.#writer, superseded, this.#settings.retentionSeconds)) {
        result.retired = superseded.kid;
      }
    }
    return result;
  }

  /** Promotes `next`, retires `current`, and creates the next key that follows them. */
  async #promoteAndReplace(
    keys: StoredSigningKey[],
    next: StoredSigningKey,
    current: StoredSigningKey,
  ): Promise<RotationResult> {
    const promotion = await this.#promote(next, current);
    if (promotion.promoted === undefined) return promotion;

    const successor = await createKey(this.#writer, keys, next.algorithm, 'next');
    return successor === undefined ? promotion : { ...promotion, created: successor.kid };
  }

  /**
   * Promotes `next` first and then retires `current`, so that readers between the two writes
   * see two current keys, of which the newer signs, rather than none.
   */
  async #promote(next: StoredSigningKey, current: StoredSigningKey): Promise<RotationResult> {
    if (!(await promoteKey(this.#writer, next))) return {};
    const retired = await retireKey(this.#writer, current, this.#settings.retentionSeconds);
    return retired ? { promoted: next.kid, retired: current.kid } : { promoted: next.kid };
  }

  async #encryptPlaintextKeys(keys: StoredSigningKey[]): Promise<string[]> {
    const encrypted: string[] = [];
    for (const key of keys) {
      if (key.privateJwk === undefined || !(key.state === 'current' || key.state === 'next')) {
        continue;
      }
      const changed = await this.#store.updateSigningKey(key, {
        state: key.state,
        activatedAt: key.activatedAt ?? (key.state === 'current' ? key.createdAt : undefined),
        encryptedPrivateKey: await this.#writer.keyEncryption.encrypt(key.privateJwk, key.kid),
      });
      if (changed) encrypted.push(key.kid);
    }
    return encrypted;
  }

  async #deleteExpiredKeys(keys: StoredSigningKey[]): Promise<string[]> {
    const now = this.#clock.now();
    const deleted: string[] = [];
    for (const key of keys) {
      if (key.state !== 'retired' || key.retireAfter === undefined || now < key.retireAfter) {
        continue;
      }
      if (await this.#store.deleteSigningKey(key)) deleted.push(key.kid);
    }
    return deleted;
  }

  #isDue(current: StoredSigningKey): boolean {
    const activatedAt = current.activatedAt ?? current.createdAt;
    return this.#clock.now() - activatedAt >= this.#settings.rotationPeriodSeconds * 1000;
  }

  #mayPromote(next: StoredSigningKey): boolean {
    return this.#clock.now() - next.createdAt >= this.#settings.publicationSeconds * 1000;
  }
}

function describeKey(key: StoredSigningKey): SigningKeyInfo {
  const { kid, algorithm, state, generation, createdAt, activatedAt, retireAfter, revokedAt } =
    key;
  return {
    kid,
    algorithm,
    state,
    generation,
    createdAt,
    ...(activatedAt === undefined ? {} : { activatedAt }),
    ...(retireAfter === undefined ? {} : { retireAfter }),
    ...(revokedAt === undefined ? {} : { revokedAt }),
  };
}

function byAlgorithmAndGeneration(first: StoredSigningKey, second: StoredSigningKey): number {
  return (
    SIGNING_ALGORITHMS.indexOf(first.algorithm) - SIGNING_ALGORITHMS.indexOf(second.algorithm) ||
    first.generation - second.generation
  );
}
