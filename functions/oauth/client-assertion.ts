/**
 * Client assertions of the `private_key_jwt` method (RFC 7523 section 2.2, OpenID Connect Core
 * section 9): the parameters that carry them, and the rules that an assertion must meet.
 */
import { decodeJwt } from 'jose';
import type { Parameters } from '../http/parameters.ts';
import { printable } from '../http/parameters.ts';
import { InvalidClientError, InvalidRequestError } from './errors.ts';

/** The only `client_assertion_type` served: a JWT (RFC 7523 section 2.2). */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * The signature algorithms of RFC 7518 section 3.1 that use a public key, with EdDSA (RFC 8037)
 * and its fully specified name Ed25519 (RFC 9864), which oauth4webapi 3.8 sends. HMAC and
 * `none` are excluded, because the server holds only the client's public keys.
 */
export const CLIENT_ASSERTION_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/**
 * The longest validity of an assertion: `exp` may be at most this long after `iat`, or after
 * the time the assertion arrives when it has no `iat`. The used `jti` is stored this long.
 */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

/** The clock difference between client and server tolerated in `exp`, `nbf` and `iat`. */
export const ASSERTION_CLOCK_SKEW_SECONDS = 30;

/**
 * An estimate: an assertion signed with a 4096-bit RSA key, with a `kid` and the usual claims,
 * is about 1,100 characters long, so this leaves room for long client ids and extra claims.
 */
const MAX_CLIENT_ASSERTION_LENGTH = 8192;

export interface AssertionCredentials {
  method: 'private_key_jwt';
  /** The assertion's `sub` claim, read before the signature is verified. */
  clientId: string;
  clientAssertion: string;
  /** Never set; it lets callers read `clientSecret` of any PresentedCredentials. */
  clientSecret?: undefined;
}

/** Whether the request uses client assertion parameters. */
export function hasClientAssertion(parameters: Parameters): boolean {
  return parameters.has('client_assertion') || parameters.has('client_assertion_type');
}

/**
 * Reads a client assertion from the form body. Sending a secret as well is `invalid_request`,
 * as RFC 6749 section 2.3 allows one authentication method per request. Problems with the
 * assertion itself are `invalid_client` (RFC 7521 section 4.2.1).
 */
export function readClientAssertion(
  authorization: string | undefined,
  parameters: Parameters,
): AssertionCredentials {
  rejectOtherMethods(authorization, parameters);

  const type = parameters.get('client_assertion_type');
  const assertion = parameters.get('client_assertion');
  if (type === undefined) {
    throw new InvalidRequestError('The client_assertion_type parameter is missing.');
  }
  if (assertion === undefined) {
    throw new InvalidRequestError('The client_assertion parameter is missing.');
  }
  if (type !== JWT_BEARER_ASSERTION_TYPE) {
    throw assertionRejected(
      `The client_assertion_type '${printable(type)}' is not supported: ` +
        `use ${JWT_BEARER_ASSERTION_TYPE}.`,
    );
  }
  if (assertion.length > MAX_CLIENT_ASSERTION_LENGTH) {
    throw assertionRejected(
      `The client_assertion is longer than ${MAX_CLIENT_ASSERTION_LENGTH} characters.`,
    );
  }

  const clientId = assertedClientId(assertion);
  const bodyId = parameters.get('client_id');
  if (bodyId !== undefined && bodyId !== clientId) {
    throw assertionRejected('The client_id differs from the sub claim of the client_assertion.');
  }
  return { method: 'private_key_jwt', clientId, clientAssertion: assertion };
}

function rejectOtherMethods(authorization: string | undefined, parameters: Parameters): void {
  if (authorization !== undefined) {
    throw new InvalidRequestError(
      'The client used more than one authentication method: send either the Authorization ' +
        'header or a client_assertion, not both.',
    );
  }
  if (parameters.has('client_secret')) {
    throw new InvalidRequestError(
      'The client used more than one authentication method: send either client_secret or a ' +
        'client_assertion, not both.',
    );
  }
}

/**
 * Returns the `sub` claim without verifying the signature: it names the client whose keys
 * then verify the assertion, and the verification requires `iss` and `sub` to equal it.
 */
function assertedClientId(assertion: string): string {
  let subject: unknown;
  try {
    subject = decodeJwt(assertion).sub;
  } catch (cause) {
    throw assertionRejected('The client_assertion is not a valid JWT.', cause);
  }
  if (typeof subject !== 'string' || subject === '') {
    throw assertionRejected(
      'The client_assertion has no sub claim: set sub and iss to the client id.',
    );
  }
  return subject;
}

/**
 * Builds the `invalid_client` error of a rejected assertion. It has no `WWW-Authenticate`
 * challenge, because the client sent its credentials in the body.
 */
export function assertionRejected(description: string, cause?: unknown): InvalidClientError {
  return new InvalidClientError(description, {
    challenge: false,
    ...(cause === undefined ? {} : { cause }),
  });
}
