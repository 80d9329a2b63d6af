/**
 * Refresh tokens (RFC 6749 section 6, rotated as RFC 9700 section 4.14.2 recommends). A token
 * is `<familyId>.<secret>` and the store keeps only its hash. Each use exchanges it for a
 * successor. Presenting a token that was already exchanged revokes the whole family, except
 * within a short grace period, where a retry of the same refresh gets the same successor.
 *
 * The successor is derived, not stored: it is HMAC-SHA-256 of the presented token under the
 * family's derivation key. A retry recomputes the same value, so no refresh token is ever kept
 * in plain text, and a stolen old token is useless without the key, which stays in the table.
 */
import { createHmac } from 'node:crypto';
import type { Clock } from './clock.ts';
import { epochSeconds } from './clock.ts';
import type { RegisteredClient } from './client.ts';
import { InvalidGrantError } from './errors.ts';
import {
  hashSecretValue,
  homeRegionOf,
  newSingleUseValue,
  randomToken,
  type RefreshFamily,
  type RefreshTokenRecord,
  type RefreshTokenStore,
} from './grant-records.ts';

export interface RefreshTokenSettings {
  idleSeconds: number;
  absoluteSeconds: number;
  /** How long after a rotation the same token may be presented again without revoking. */
  reuseGraceSeconds: number;
  /** The region that creates new families, named in their ids; undefined outside AWS. */
  region?: string;
}

export interface NewFamily {
  familyId: string;
  client: RegisteredClient;
  userId: string;
  scopes: string[];
  authTime: number;
  /** Derives the first token, for a redemption that may be retried; random when absent. */
  seed?: string;
}

export interface Rotation {
  refreshToken: string;
  family: RefreshFamily;
}

/** A refresh token that the server issued, with its family. */
export interface FoundRefreshToken {
  token: RefreshTokenRecord;
  family: RefreshFamily;
}

const INVALID = 'The refresh token is invalid, expired or revoked.';

/** `<family id>.<secret>`, bounded so that no malformed text reaches a storage key. */
const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_~-]{1,128}\.[A-Za-z0-9_-]{1,128}$/;

export class RefreshTokens {
  readonly #store: RefreshTokenStore;
  readonly #settings: RefreshTokenSettings;
  readonly #clock: Clock;

  constructor(store: RefreshTokenStore, settings: RefreshTokenSettings, clock: Clock) {
    this.#store = store;
    this.#settings = settings;
    this.#clock = clock;
  }

  /** Returns a new family id that names the given region as the family's home region. */
  static newFamilyId(region?: string): string {
    return newSingleUseValue(region);
  }

  /** The region that creates new families here; undefined outside AWS. */
  get region(): string | undefined {
    return this.#settings.region;
  }

  /**
   * Starts a family and returns its first refresh token. With a `seed`, the first token is
   * derived from it, so a retried redemption that finds its family already created gets the
   * same token back instead of a second live one.
   */
  async issue(family: NewFamily): Promise<string> {
    const now = epochSeconds(this.#clock);
    const absoluteSeconds = family.client.refreshTokenAbsoluteSeconds ?? this.#settings.absoluteSeconds;
    const record: RefreshFamily = {
      familyId: family.familyId,
      clientId: family.client.clientId,
      userId: family.userId,
      scopes: family.scopes,
      authTime: family.authTime,
      derivationKey: randomToken(),
      createdAt: now,
      absoluteExpiresAt: now + absoluteSeconds,
    };
    const stored = (await this.#store.createFamily(record))
      ? record
      : await this.#existingFamilyOf(family);

    const secret =
      family.seed === undefined
        ? randomToken()
        : deriveSuccessor(`first:${family.seed}`, stored.derivationKey);
    const token = `${family.familyId}.${secret}`;
    await this.#saveToken(token, stored, 1, family.client, now);
    return token;
  }

  /**
   * Returns the family that a retried redemption created before, or throws when the id names
   * a revoked family or a tombstone: a replay of the code revoked it first.
   */
  async #existingFamilyOf(family: NewFamily): Promise<RefreshFamily> {
    const existing = family.seed === undefined ? undefined : await this.#store.findFamily(family.familyId);
    const usable =
      existing !== undefined &&
      existing.revokedAt === undefined &&
      existing.clientId === family.client.clientId &&
      existing.userId === family.userId;
    if (!usable) {
      throw new InvalidGrantError(
        'The authorization code was already used. Tokens issued for it are revoked.',
      );
    }
    return existing;
  }

  /**
   * Exchanges a refresh token for its successor, or throws `invalid_grant`. `check` runs
   * before the token is marked used, so a request that it rejects leaves the token valid.
   */
  async rotate(
    presented: string,
    client: RegisteredClient,
    check: (family: RefreshFamily) => void = () => undefined,
  ): Promise<Rotation> {
    // A text without the shape of a refresh token cannot be one, and would not fit a key.
    if (!REFRESH_TOKEN_SHAPE.test(presented)) throw new InvalidGrantError(INVALID);
    const now = epochSeconds(this.#clock);
    const familyId = presented.split('.')[0] ?? '';
    const tokenHash = hashSecretValue(presented);
    const [token, family] = await Promise.all([
      this.#store.findToken(tokenHash),
      this.#store.findFamily(familyId),
    ]);

    if (token === undefined || family === undefined || token.familyId !== family.familyId) {
      throw new InvalidGrantError(INVALID);
    }
    if (family.clientId !== client.clientId) {
      throw new InvalidGrantError('The refresh token was issued to another client.');
    }
    if (family.revokedAt !== undefined || family.absoluteExpiresAt <= now) {
      throw new InvalidGrantError(INVALID);
    }
    check(family);

    if (token.rotatedAt !== undefined) {
      await this.#checkRetry(token.rotatedAt, family, now);
    } else {
      const marked = await this.#store.markRotated(tokenHash, now, homeRegionOf(family.familyId));
      if (!marked.rotated) await this.#checkRetry(marked.rotatedAt, family, now);
    }

    const successor = `${family.familyId}.${deriveSuccessor(presented, family.derivationKey)}`;
    await this.#saveToken(successor, family, token.generation + 1, client, now);
    return { refreshToken: successor, family };
  }

  /** Revokes a family, as when the code that started it is redeemed a second time. */
  async revokeFamily(familyId: string): Promise<void> {
    await this.#store.revokeFamily(familyId, epochSeconds(this.#clock));
  }

  /**
   * Looks up a presented token and its family without using the token, for revocation and
   * introspection. Returns undefined when the server did not issue the token or it expired.
   * A text without the shape of a refresh token costs no storage read.
   */
  async find(presented: string): Promise<FoundRefreshToken | undefined> {
    if (!REFRESH_TOKEN_SHAPE.test(presented)) return undefined;
    const familyId = presented.slice(0, presented.indexOf('.'));
    const [token, family] = await Promise.all([
      this.#store.findToken(hashSecretValue(presented)),
      this.#store.findFamily(familyId),
    ]);
    if (token === undefined || family === undefined || token.familyId !== family.familyId) {
      return undefined;
    }
    return { token, family };
  }

  /**
   * Returns whether rotate() would accept the token now: its family is neither revoked nor past
   * its absolute limit, and the token is unexpired and unused, or used within the reuse grace
   * period.
   */
  isActive({ token, family }: FoundRefreshToken): boolean {
    const now = epochSeconds(this.#clock);
    if (family.revokedAt !== undefined || family.absoluteExpiresAt <= now) return false;
    if (token.expiresAt <= now) return false;
    if (token.rotatedAt === undefined) return true;
    return now - token.rotatedAt <= this.#settings.reuseGraceSeconds;
  }

  /**
   * Returns whether a family is revoked. A family that does not exist counts as not revoked, and
   * so does one past its absolute limit, because the store drops expired families.
   */
  async isFamilyRevoked(familyId: string): Promise<boolean> {
    const family = await this.#store.findFamily(familyId);
    return family?.revokedAt !== undefined;
  }

  async #checkRetry(rotatedAt: number | undefined, family: RefreshFamily, now: number) {
    // A concurrent request marked the token an instant ago when rotatedAt is still unknown.
    const rotated = rotatedAt ?? now;
    if (now - rotated <= this.#settings.reuseGraceSeconds) return;

    await this.#store.revokeFamily(family.familyId, now);
    throw new InvalidGrantError(
      'The refresh token was already used, so all tokens of its sign-in are revoked. ' +
        'The user must sign in again.',
    );
  }

  async #saveToken(
    token: string,
    family: RefreshFamily,
    generation: number,
    client: RegisteredClient,
    now: number,
  ): Promise<void> {
    const idleSeconds = client.refreshTokenIdleSeconds ?? this.#settings.idleSeconds;
    await this.#store.saveToken({
      tokenHash: hashSecretValue(token),
      familyId: family.familyId,
      generation,
      expiresAt: Math.min(now + idleSeconds, family.absoluteExpiresAt),
    });
  }
}

function deriveSuccessor(presented: string, derivationKey: string): string {
  return createHmac('sha256', Buffer.from(derivationKey, 'base64url'))
    .update(presented, 'utf8')
    .digest('base64url');
}
