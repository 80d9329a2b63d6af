/**
 * The server-side records of an authorization in progress: interactions (an authorization
 * request waiting for login or consent), authorization codes, and refresh token families.
 * Storage implements the store interfaces; secrets are kept only as SHA-256 hashes.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AuthorizationRequest } from './authorization-request.ts';

/** Returns the base64url SHA-256 of a secret value, the form in which the store keeps it. */
export function hashSecretValue(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** Returns a random value with 256 bits of entropy, base64url-encoded. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d$/;

/**
 * Returns a new random value for a single-use item, prefixed with the region that creates it,
 * as in `eu-west-1~<random>`. Any region can then send the consuming write to the item's
 * home region without reading it first.
 */
export function newSingleUseValue(homeRegion: string | undefined): string {
  return homeRegion === undefined ? randomToken() : `${homeRegion}~${randomToken()}`;
}

/** Returns the home region that a single-use value names, or undefined. */
export function homeRegionOf(value: string): string | undefined {
  const separator = value.indexOf('~');
  if (separator === -1) return undefined;
  const region = value.slice(0, separator);
  return REGION_NAME.test(region) ? region : undefined;
}

/** An authorization request waiting for the user to sign in or consent. */
export interface Interaction {
  interactionId: string;
  request: AuthorizationRequest;
  /** Hash of the cookie that binds the interaction to the browser that started it. */
  bindingHash: string;
  /** The token that the login and consent forms must send back. */
  csrfToken: string;
  /**
   * Seconds since the Unix epoch. When set, only a session whose password entry happened
   * at or after it may complete the request (`prompt=login`, `max_age`).
   */
  requireLoginAfter?: number;
  /** Seconds since the Unix epoch. */
  expiresAt: number;
}

export interface InteractionStore {
  createInteraction(interaction: Interaction): Promise<void>;
  findInteraction(interactionId: string): Promise<Interaction | undefined>;
  /** Deletes the interaction and returns it, or undefined when another request did first. */
  consumeInteraction(interactionId: string): Promise<Interaction | undefined>;
}

export interface AuthorizationCodeRecord {
  codeHash: string;
  clientId: string;
  redirectUri: string;
  userId: string;
  scopes: string[];
  codeChallenge?: string;
  nonce?: string;
  /** Seconds since the Unix epoch when the user last entered a password. */
  authTime: number;
  amr: string[];
  /** Seconds since the Unix epoch. */
  expiresAt: number;
  /** Set when the code is redeemed. */
  consumedAt?: number;
  /** The refresh token family issued on redemption, revoked if the code is replayed. */
  familyId?: string;
  /** Identifies the request that redeemed the code, so that its retry is not a replay. */
  redemptionId?: string;
  /** Set once a response with the tokens was produced; a later request is a replay. */
  issuedAt?: number;
  /** The attempt that produced it, random per HTTP request. */
  issuedBy?: string;
}

/** What a redemption must match: the code is consumed only if all of it holds. */
export interface CodeRedemption {
  codeHash: string;
  /** The region that issued the code, where the redeeming write goes while it responds. */
  homeRegion: string | undefined;
  clientId: string;
  redirectUri: string;
  /** The S256 challenge computed from the request's verifier; undefined without a verifier. */
  codeChallenge: string | undefined;
  /** Seconds since the Unix epoch. */
  now: number;
  familyId: string | undefined;
  /**
   * A digest of the code, the client, the redirect URI and the PKCE verifier. A request with
   * the same digest, soon after and before the tokens were marked issued, is a retry of the
   * same request whose response was lost, rather than a replay by someone without them.
   */
  redemptionId: string;
}

export type RedemptionOutcome =
  | { status: 'redeemed'; record: AuthorizationCodeRecord }
  | { status: 'retried'; record: AuthorizationCodeRecord }
  | { status: 'replayed'; record: AuthorizationCodeRecord }
  | { status: 'mismatch'; record: AuthorizationCodeRecord }
  | { status: 'invalid' };

export interface AuthorizationCodeStore {
  saveCode(record: AuthorizationCodeRecord): Promise<void>;
  /** Consumes the code with one conditional write, or explains why it could not. */
  redeemCode(redemption: CodeRedemption): Promise<RedemptionOutcome>;
  /**
   * Marks the tokens of a redemption as issued by one attempt. Returns false when another
   * attempt with the same redemption id marked them first.
   */
  markIssued(
    codeHash: string,
    redemptionId: string,
    attemptId: string,
    now: number,
    homeRegion: string | undefined,
  ): Promise<boolean>;
}

/** A chain of refresh tokens that descend from one authorization. */
export interface RefreshFamily {
  familyId: string;
  clientId: string;
  userId: string;
  scopes: string[];
  authTime: number;
  /** Key of the HMAC that derives each token's successor; never leaves the server. */
  derivationKey: string;
  /** Seconds since the Unix epoch. */
  createdAt: number;
  /** Seconds since the Unix epoch: no token of the family is valid after it. */
  absoluteExpiresAt: number;
  /** Seconds since the Unix epoch, when the family was revoked. */
  revokedAt?: number;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  familyId: string;
  generation: number;
  /** Seconds since the Unix epoch: the idle limit, capped by the family's absolute limit. */
  expiresAt: number;
  /** Seconds since the Unix epoch, when the token was exchanged for its successor. */
  rotatedAt?: number;
}

export interface RefreshTokenStore {
  /** Creates the family; returns false when it was revoked before it was created. */
  createFamily(family: RefreshFamily): Promise<boolean>;
  findFamily(familyId: string): Promise<RefreshFamily | undefined>;
  /** Stores a token unless it exists, so that a retried rotation writes it once. */
  saveToken(record: RefreshTokenRecord): Promise<void>;
  findToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /**
   * Marks the token rotated unless it already is, at the family's home region while it
   * responds. Returns `{ rotated: true }` when this call did, else the stored rotation time,
   * read from the same replica, which may be newer than the local copy.
   */
  markRotated(
    tokenHash: string,
    now: number,
    homeRegion: string | undefined,
  ): Promise<{ rotated: true } | { rotated: false; rotatedAt: number | undefined }>;
  revokeFamily(familyId: string, now: number): Promise<void>;
}
