/**
 * Verification of `private_key_jwt` client assertions: the signature against the client's
 * registered JWK Set, the claims that RFC 7523 section 3 and OpenID Connect Core section 9
 * require, a bounded lifetime, and single use of each `jti`.
 */
import { createHash } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { printable } from '../http/parameters.ts';
import {
  ASSERTION_CLOCK_SKEW_SECONDS,
  assertionRejected,
  CLIENT_ASSERTION_ALGORITHMS,
  MAX_ASSERTION_LIFETIME_SECONDS,
} from './client-assertion.ts';
import type { RegisteredClient } from './client.ts';
import { epochSeconds, type Clock } from './clock.ts';
import type { InvalidClientError } from './errors.ts';

/** A verified assertion whose `jti` must not be accepted again. */
export interface AssertionUse {
  /** SHA-256 of the client id and the `jti`, base64url. */
  jtiHash: string;
  clientId: string;
  /** Seconds since the Unix epoch, after which the assertion is rejected as expired anyway. */
  expiresAt: number;
  /** Seconds since the Unix epoch. */
  now: number;
}

export interface ClientAssertionStore {
  /**
   * Records the use, unless an unexpired use of the same `jti` is recorded already. Returns
   * false in that case: the assertion is a replay.
   */
  recordUse(use: AssertionUse): Promise<boolean>;
}

export interface ClientAssertionSettings {
  /** The accepted `aud` values: the token endpoint URL and the issuer identifier. */
  audiences: string[];
  store: ClientAssertionStore;
  clock: Clock;
}

type VerifyResult =
  | { verified: true; payload: JWTPayload }
  | { verified: false; error: InvalidClientError; keyMismatch: boolean };

const ALGORITHM_LIST = CLIENT_ASSERTION_ALGORITHMS.join(', ');

export class ClientAssertionVerifier {
  readonly #settings: ClientAssertionSettings;
  /** Key sets by the client's `jwks` object, which the client cache keeps while it is fresh. */
  readonly #keySets = new WeakMap<object, JWTVerifyGetKey>();

  constructor(settings: ClientAssertionSettings) {
    this.#settings = settings;
  }

  /**
   * Verifies the assertion of a `private_key_jwt` client and records its `jti`, or throws
   * `invalid_client`. When no key of a cached client matches, `reload` reads the client
   * again, so that a newly registered key works at once. Returns the client it verified with.
   */
  async verify(
    assertion: string,
    client: RegisteredClient,
    reload?: () => Promise<RegisteredClient | undefined>,
  ): Promise<RegisteredClient> {
    checkAlgorithm(assertion);

    let verifiedWith = client;
    let result = await this.#verifySignatureAndClaims(assertion, client);
    if (!result.verified && result.keyMismatch && reload !== undefined) {
      const current = await reload();
      if (current?.tokenEndpointAuthMethod === 'private_key_jwt' && hasOtherKeys(current, client)) {
        verifiedWith = current;
        result = await this.#verifySignatureAndClaims(assertion, current);
      }
    }
    if (!result.verified) throw result.error;

    const now = epochSeconds(this.#settings.clock);
    const { jti, exp } = checkLifetimeAndJti(result.payload, now);
    await this.#recordUse(verifiedWith.clientId, jti, exp, now);
    return verifiedWith;
  }

  async #verifySignatureAndClaims(
    assertion: string,
    client: RegisteredClient,
  ): Promise<VerifyResult> {
    if (client.jwks === undefined) {
      const description = 'The client has no registered keys (jwks) for its assertion.';
      return { verified: false, error: assertionRejected(description), keyMismatch: true };
    }

    try {
      const { payload } = await jwtVerify(assertion, this.#keySet(client.jwks), {
        algorithms: [...CLIENT_ASSERTION_ALGORITHMS],
        issuer: client.clientId,
        subject: client.clientId,
        audience: this.#settings.audiences,
        requiredClaims: ['exp', 'jti'],
        clockTolerance: ASSERTION_CLOCK_SKEW_SECONDS,
        currentDate: new Date(this.#settings.clock.now()),
      });
      return { verified: true, payload };
    } catch (error) {
      if (!(error instanceof errors.JOSEError)) throw error;
      return this.#describeFailure(error);
    }
  }

  #keySet(jwks: NonNullable<RegisteredClient['jwks']>): JWTVerifyGetKey {
    let keySet = this.#keySets.get(jwks);
    if (keySet === undefined) {
      keySet = createLocalJWKSet(jwks);
      this.#keySets.set(jwks, keySet);
    }
    return keySet;
  }

  #describeFailure(error: InstanceType<typeof errors.JOSEError>): VerifyResult {
    const failed = (description: string, keyMismatch = false): VerifyResult => ({
      verified: false,
      error: assertionRejected(description, error),
      keyMismatch,
    });

    if (error instanceof errors.JWKSNoMatchingKey) {
      return failed("No key in the client's jwks matches the assertion's kid and alg.", true);
    }
    if (error instanceof errors.JWKSMultipleMatchingKeys) {
      return failed(
        "Several keys in the client's jwks match the assertion: name one in the kid header.",
        true,
      );
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return failed("The client_assertion signature does not verify with the client's keys.", true);
    }
    if (error instanceof errors.JWTExpired) return failed('The client_assertion has expired.');
    if (error instanceof errors.JWTClaimValidationFailed) {
      return failed(this.#claimFailure(error.claim, error.reason));
    }
    if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) {
      return failed('The client_assertion is not a valid JWT.');
    }
    return failed('Client authentication failed.');
  }

  #claimFailure(claim: string, reason: string): string {
    if (reason === 'missing') return `The client_assertion has no ${claim} claim.`;
    if (claim === 'iss' || claim === 'sub') {
      return 'The client_assertion iss and sub claims must both be the client id.';
    }
    if (claim === 'aud') {
      const audiences = this.#settings.audiences.join(' or ');
      return `The client_assertion aud claim must contain ${audiences}.`;
    }
    if (claim === 'nbf') return 'The client_assertion is not valid yet: its nbf is in the future.';
    return `The client_assertion ${claim} claim is invalid.`;
  }

  async #recordUse(clientId: string, jti: string, exp: number, now: number): Promise<void> {
    const jtiHash = createHash('sha256').update(`${clientId}\0${jti}`).digest('base64url');
    // The assertion is accepted until exp plus the tolerated skew, so its jti is kept as long.
    const expiresAt = exp + ASSERTION_CLOCK_SKEW_SECONDS;
    const recorded = await this.#settings.store.recordUse({ jtiHash, clientId, expiresAt, now });
    if (!recorded) {
      throw assertionRejected(
        'The client_assertion was already used: sign a new one with a new jti.',
      );
    }
  }
}

/**
 * Rejects unsigned and HMAC assertions, and any algorithm outside the list, with a message
 * that names the problem. jose enforces the same list again while verifying.
 */
function checkAlgorithm(assertion: string): void {
  let algorithm: unknown;
  try {
    algorithm = decodeProtectedHeader(assertion).alg;
  } catch (cause) {
    throw assertionRejected('The client_assertion is not a valid JWT.', cause);
  }

  if (typeof algorithm !== 'string' || algorithm.toLowerCase() === 'none') {
    throw assertionRejected(
      `The client_assertion is not signed (alg none): sign it with one of ${ALGORITHM_LIST}.`,
    );
  }
  if (/^HS\d+$/i.test(algorithm)) {
    throw assertionRejected(
      `The client_assertion uses ${printable(algorithm)}, an HMAC algorithm that needs a shared ` +
        `secret: private_key_jwt needs one of ${ALGORITHM_LIST}.`,
    );
  }
  if (!(CLIENT_ASSERTION_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw assertionRejected(
      `The client_assertion alg '${printable(algorithm)}' is not accepted: use one of ` +
        `${ALGORITHM_LIST}.`,
    );
  }
}

/**
 * Checks the claims that jose leaves to the caller: `jti` is a non-empty string, `iat` is not
 * in the future, and `exp` is at most MAX_ASSERTION_LIFETIME_SECONDS after `iat` (or after now
 * when there is no `iat`).
 */
function checkLifetimeAndJti(payload: JWTPayload, now: number): { jti: string; exp: number } {
  const { jti, exp, iat } = payload;
  if (typeof jti !== 'string' || jti === '') {
    throw assertionRejected('The client_assertion jti claim must be a non-empty string.');
  }
  // jose has checked that exp is present, a number, and in the future.
  const expiry = exp as number;
  if (iat !== undefined && iat > now + ASSERTION_CLOCK_SKEW_SECONDS) {
    throw assertionRejected('The client_assertion iat claim is in the future.');
  }

  const lifetime = expiry - (iat ?? now);
  if (lifetime > MAX_ASSERTION_LIFETIME_SECONDS) {
    throw assertionRejected(
      `The client_assertion is valid for ${lifetime} seconds, more than the maximum of ` +
        `${MAX_ASSERTION_LIFETIME_SECONDS}: set exp at most ` +
        `${MAX_ASSERTION_LIFETIME_SECONDS} seconds after iat.`,
    );
  }
  return { jti, exp: expiry };
}

function hasOtherKeys(current: RegisteredClient, cached: RegisteredClient): boolean {
  return JSON.stringify(current.jwks) !== JSON.stringify(cached.jwks);
}
