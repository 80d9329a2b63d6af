/**
 * Client authentication at the token endpoint: `client_secret_basic` (RFC 6749 section 2.3.1,
 * where id and secret are form-urlencoded before the Basic encoding), `client_secret_post`,
 * and `none` for public clients, which send only `client_id`. A `private_key_jwt` client sends
 * a signed JWT in `client_assertion` instead (RFC 7523 section 2.2).
 */
import { createHash } from 'node:crypto';
import type { Clock } from './clock.ts';
import type { ClientAuthenticationMethod, ClientStore, RegisteredClient } from './client.ts';
import {
  hasClientAssertion,
  readClientAssertion,
  type AssertionCredentials,
} from './client-assertion.ts';
import type { ClientAssertionVerifier } from './client-assertion-verifier.ts';
import { verifyClientSecret } from './client-secret.ts';
import { InvalidClientError, InvalidRequestError } from './errors.ts';
import type { Parameters } from '../http/parameters.ts';

export interface SecretCredentials {
  method: Exclude<ClientAuthenticationMethod, 'private_key_jwt'>;
  clientId: string;
  /** Empty for the `none` method. */
  clientSecret: string;
}

export type PresentedCredentials = SecretCredentials | AssertionCredentials;

const MAX_CLIENT_ID_LENGTH = 255;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_CLIENT_SECRET_LENGTH = 512;

/**
 * Reads the client's credentials from the Authorization header or the form body. Using both
 * methods at once is `invalid_request`, as RFC 6749 section 2.3 allows only one per request.
 */
export function readClientCredentials(
  authorization: string | undefined,
  parameters: Parameters,
): PresentedCredentials {
  if (hasClientAssertion(parameters)) {
    return checkLengths(readClientAssertion(authorization, parameters));
  }

  const bodyId = parameters.get('client_id');
  const bodySecret = parameters.get('client_secret');

  if (authorization !== undefined) {
    if (bodySecret !== undefined) {
      throw new InvalidRequestError(
        'The client used more than one authentication method: send the secret either in the ' +
          'Authorization header or in the body, not both.',
      );
    }
    const credentials = decodeBasicAuthorization(authorization);
    if (bodyId !== undefined && bodyId !== credentials.clientId) {
      throw new InvalidRequestError(
        'The client_id in the body differs from the client in the Authorization header.',
      );
    }
    return checkLengths(credentials);
  }

  if (bodyId !== undefined && bodySecret !== undefined) {
    return checkLengths({ method: 'client_secret_post', clientId: bodyId, clientSecret: bodySecret });
  }
  if (bodyId !== undefined) {
    return checkLengths({ method: 'none', clientId: bodyId, clientSecret: '' });
  }
  throw new InvalidClientError(
    'Client authentication is required: use HTTP Basic (client_secret_basic) or client_id ' +
      'and client_secret in the body (client_secret_post).',
  );
}

function decodeBasicAuthorization(authorization: string): SecretCredentials {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization);
  if (!match?.[1]) {
    throw new InvalidClientError('The Authorization header is not valid HTTP Basic credentials.');
  }

  let decoded: string;
  try {
    decoded = strictUtf8.decode(Buffer.from(match[1], 'base64'));
  } catch (cause) {
    throw new InvalidClientError('The Basic credentials are not valid UTF-8.', { cause });
  }
  const separator = decoded.indexOf(':');
  if (separator === -1) {
    throw new InvalidClientError('The Basic credentials lack the colon between id and secret.');
  }

  const clientId = decodeFormComponent(decoded.slice(0, separator));
  const clientSecret = decodeFormComponent(decoded.slice(separator + 1));
  if (clientId === '') throw new InvalidClientError('The Basic credentials have an empty client id.');
  return { method: 'client_secret_basic', clientId, clientSecret };
}

function decodeFormComponent(component: string): string {
  try {
    return decodeURIComponent(component.replaceAll('+', ' '));
  } catch (cause) {
    throw new InvalidClientError(
      'The Basic credentials are not form-urlencoded as RFC 6749 section 2.3.1 requires.',
      { cause },
    );
  }
}

function checkLengths<Credentials extends PresentedCredentials>(
  credentials: Credentials,
): Credentials {
  if (credentials.clientId.length > MAX_CLIENT_ID_LENGTH) {
    throw new InvalidClientError(`The client id is longer than ${MAX_CLIENT_ID_LENGTH} characters.`);
  }
  if (credentials.method === 'private_key_jwt') return credentials;
  if (credentials.clientSecret.length > MAX_CLIENT_SECRET_LENGTH) {
    throw new InvalidClientError('Client authentication failed.');
  }
  return credentials;
}

/**
 * Authenticates clients against their stored secret hashes. A successful check is remembered
 * for a short time, keyed by a SHA-256 digest of the credentials and the stored hash, so that a
 * warm function does not pay for scrypt on every request. A memory entry never outlives a
 * change of the stored hash, because the hash is part of the key. Client assertions are never
 * remembered, because each one may be used only once.
 */
export class ClientAuthenticator {
  readonly #clients: ClientStore;
  readonly #clock: Clock;
  readonly #rememberMilliseconds: number;
  readonly #assertions: ClientAssertionVerifier | undefined;
  readonly #verified = new Map<string, number>();
  static readonly MAX_REMEMBERED = 10_000;

  /** Without `assertions`, every `private_key_jwt` attempt fails with `invalid_client`. */
  constructor(
    clients: ClientStore,
    clock: Clock,
    rememberSeconds: number,
    assertions?: ClientAssertionVerifier,
  ) {
    this.#clients = clients;
    this.#clock = clock;
    this.#rememberMilliseconds = rememberSeconds * 1000;
    this.#assertions = assertions;
  }

  /** Returns the authenticated client, or throws `invalid_client`. */
  async authenticate(credentials: PresentedCredentials): Promise<RegisteredClient> {
    // Only a client that tried HTTP Basic gets a Basic challenge back.
    const challenge = credentials.method === 'client_secret_basic';
    const client = await this.#clients.findClient(credentials.clientId);
    if (client === undefined) {
      throw new InvalidClientError('Client authentication failed.', {
        challenge,
        cause: new Error(`unknown client ${credentials.clientId}`),
      });
    }
    if (client.tokenEndpointAuthMethod !== credentials.method) {
      // Client ids are not secret (RFC 6749 section 2.2), so naming the method is safe.
      throw new InvalidClientError(methodMismatch(client, credentials), { challenge });
    }
    if (credentials.method === 'none') return client;
    if (credentials.method === 'private_key_jwt') {
      return this.#authenticateWithAssertion(credentials, client);
    }

    const authenticated = await this.#authenticateWithSecret(credentials, client);
    if (authenticated === undefined) {
      throw new InvalidClientError('Client authentication failed.', {
        challenge,
        cause: new Error(`wrong secret for client ${client.clientId}`),
      });
    }
    return authenticated;
  }

  async #authenticateWithAssertion(
    credentials: AssertionCredentials,
    cached: RegisteredClient,
  ): Promise<RegisteredClient> {
    if (this.#assertions === undefined) {
      throw new InvalidClientError('Client authentication failed.', {
        challenge: false,
        cause: new Error('no verifier of client assertions is configured'),
      });
    }
    const { clientId } = credentials;
    const reload =
      this.#clients.forget === undefined ? undefined : () => this.#readAgain(clientId);
    return this.#assertions.verify(credentials.clientAssertion, cached, reload);
  }

  /** Drops the cached copy of a client and reads it from the store. */
  #readAgain(clientId: string): Promise<RegisteredClient | undefined> {
    this.#clients.forget?.(clientId);
    return this.#clients.findClient(clientId);
  }

  /**
   * Checks the secret against the client's hash. When it fails against a cached copy, the
   * client is read again from the table, so a newly rotated secret works at once; the old
   * secret may keep working until the cached copy expires.
   */
  async #authenticateWithSecret(
    credentials: SecretCredentials,
    cached: RegisteredClient,
  ): Promise<RegisteredClient | undefined> {
    if (await this.#secretMatches(credentials.clientSecret, cached)) return cached;
    if (this.#clients.forget === undefined) return undefined;

    this.#clients.forget(credentials.clientId);
    const current = await this.#clients.findClient(credentials.clientId);
    if (current === undefined || current.tokenEndpointAuthMethod !== credentials.method) {
      return undefined;
    }
    if (current.secretHash?.hash === cached.secretHash?.hash) return undefined;
    return (await this.#secretMatches(credentials.clientSecret, current)) ? current : undefined;
  }

  async #secretMatches(secret: string, client: RegisteredClient): Promise<boolean> {
    if (client.secretHash === undefined) return false;
    const key = createHash('sha256')
      .update(`${client.clientId}\0${secret}\0${client.secretHash.hash}`)
      .digest('base64url');
    const now = this.#clock.now();
    const rememberedUntil = this.#verified.get(key);
    if (rememberedUntil !== undefined && rememberedUntil > now) return true;

    const matches = await verifyClientSecret(secret, client.secretHash);
    if (matches && this.#rememberMilliseconds > 0) this.#remember(key, now);
    return matches;
  }

  #remember(key: string, now: number): void {
    if (this.#verified.size >= ClientAuthenticator.MAX_REMEMBERED) {
      const oldest = this.#verified.keys().next();
      if (!oldest.done) this.#verified.delete(oldest.value);
    }
    this.#verified.set(key, now + this.#rememberMilliseconds);
  }
}

function methodMismatch(client: RegisteredClient, credentials: PresentedCredentials): string {
  if (credentials.method === 'none' && client.tokenEndpointAuthMethod === 'private_key_jwt') {
    return (
      'Client authentication is required: send a client_assertion signed with a key of the ' +
      "client's jwks (private_key_jwt)."
    );
  }
  if (credentials.method === 'none') {
    return (
      'Client authentication is required: use HTTP Basic (client_secret_basic) or client_id ' +
      'and client_secret in the body (client_secret_post).'
    );
  }
  if (client.tokenEndpointAuthMethod === 'none') {
    return 'The client is a public client: send client_id without a secret.';
  }
  return `The client must authenticate with ${client.tokenEndpointAuthMethod}, not ${credentials.method}.`;
}
