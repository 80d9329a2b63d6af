/**
 * Helpers of the unit tests: a frozen clock, in-memory stores that count their calls and fail
 * on request, and builders of API Gateway events and registered clients.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { LocalFileKeyEncryption } from '../../functions/crypto/local-file-key-encryption.ts';
import type { ClientStore, RegisteredClient, SecretHash } from '../../functions/oauth/client.ts';
import type { Clock } from '../../functions/oauth/clock.ts';
import { OAuthError } from '../../functions/oauth/errors.ts';
import type {
  SigningKeyStore,
  SigningKeyUpdate,
  StoredSigningKey,
} from '../../functions/oauth/signing-keys.ts';

/** 2024-01-01T00:00:00Z in milliseconds since the Unix epoch. */
export const START_TIME = Date.UTC(2024, 0, 1);

/** A clock whose time changes only when a test advances it. */
export class FrozenClock implements Clock {
  time: number;

  constructor(time: number = START_TIME) {
    this.time = time;
  }

  now(): number {
    return this.time;
  }

  advance(milliseconds: number): void {
    this.time += milliseconds;
  }
}

/** A client store in a Map that counts reads and fails the next read on request. */
export class InMemoryClientStore implements ClientStore {
  readonly #clients = new Map<string, RegisteredClient>();
  readonly #pendingFailures: Error[] = [];
  reads = 0;

  put(client: RegisteredClient): void {
    this.#clients.set(client.clientId, structuredClone(client));
  }

  failNextRead(error: Error = new Error('client store read failed')): void {
    this.#pendingFailures.push(error);
  }

  async findClient(clientId: string): Promise<RegisteredClient | undefined> {
    this.reads += 1;
    await Promise.resolve();

    const failure = this.#pendingFailures.shift();
    if (failure !== undefined) throw failure;

    const client = this.#clients.get(clientId);
    return client === undefined ? undefined : structuredClone(client);
  }
}

/** Encrypts private signing keys under a random key-encryption key held in memory. */
export const TEST_KEY_ENCRYPTION = LocalFileKeyEncryption.withKey(randomBytes(32));

/**
 * A signing key store with the conditional writes of the real one: a key whose algorithm and
 * generation already exist is not created, and a key whose state or version changed since it
 * was read is neither updated nor deleted. Each such write returns false.
 */
export class InMemorySigningKeyStore implements SigningKeyStore {
  readonly keys: StoredSigningKey[] = [];
  readonly #pendingFailures: Error[] = [];
  lists = 0;
  creates = 0;
  updates = 0;
  deletes = 0;

  failNextList(error: Error = new Error('signing key store read failed')): void {
    this.#pendingFailures.push(error);
  }

  async listSigningKeys(): Promise<StoredSigningKey[]> {
    this.lists += 1;
    await Promise.resolve();

    const failure = this.#pendingFailures.shift();
    if (failure !== undefined) throw failure;
    return this.keys.map((key) => structuredClone(key));
  }

  async createSigningKey(key: StoredSigningKey): Promise<boolean> {
    this.creates += 1;
    await Promise.resolve();

    if (this.#indexOf(key) >= 0) return false;
    this.keys.push(structuredClone(key));
    return true;
  }

  async updateSigningKey(key: StoredSigningKey, update: SigningKeyUpdate): Promise<boolean> {
    this.updates += 1;
    await Promise.resolve();

    const index = this.#indexOfUnchanged(key);
    const stored = this.keys[index];
    if (stored === undefined) return false;

    const { encryptedPrivateKey, ...changes } = update;
    const updated: StoredSigningKey = { ...stored, version: stored.version + 1 };
    for (const [name, value] of Object.entries(changes)) {
      if (value !== undefined) Object.assign(updated, { [name]: value });
    }
    if (encryptedPrivateKey !== undefined) {
      delete updated.privateJwk;
      delete updated.encryptedPrivateKey;
      if (encryptedPrivateKey !== null) updated.encryptedPrivateKey = encryptedPrivateKey;
    }
    this.keys[index] = structuredClone(updated);
    return true;
  }

  async deleteSigningKey(key: StoredSigningKey): Promise<boolean> {
    this.deletes += 1;
    await Promise.resolve();

    const index = this.#indexOfUnchanged(key);
    if (index < 0) return false;
    this.keys.splice(index, 1);
    return true;
  }

  /** Returns the stored key's index, or -1 when its state or version differs from `key`. */
  #indexOfUnchanged(key: StoredSigningKey): number {
    const index = this.#indexOf(key);
    const stored = this.keys[index];
    if (stored === undefined) return -1;
    return stored.state === key.state && stored.version === key.version ? index : -1;
  }

  #indexOf(key: StoredSigningKey): number {
    return this.keys.findIndex(
      (stored) => stored.algorithm === key.algorithm && stored.generation === key.generation,
    );
  }
}

/** Builds a registered client that may use every grant and the scopes `read` and `write`. */
export function registeredClient(
  secretHash: SecretHash,
  overrides: Partial<RegisteredClient> = {},
): RegisteredClient {
  return {
    clientId: 'service-one',
    secretHash,
    tokenEndpointAuthMethod: 'client_secret_basic',
    grantTypes: ['client_credentials'],
    scopes: ['read', 'write'],
    ...overrides,
  };
}

/** Encodes an Authorization header value for HTTP Basic from already form-encoded parts. */
export function basicAuthorization(encodedId: string, encodedSecret: string): string {
  return `Basic ${Buffer.from(`${encodedId}:${encodedSecret}`, 'utf8').toString('base64')}`;
}

export interface EventOptions {
  body?: string;
  isBase64Encoded?: boolean;
  headers?: Record<string, string>;
  rawQueryString?: string;
  method?: string;
}

/** Builds an API Gateway HTTP API (payload format 2.0) event for a request to /token. */
export function httpEvent(options: EventOptions = {}): APIGatewayProxyEventV2 {
  const method = options.method ?? 'POST';

  return {
    version: '2.0',
    routeKey: `${method} /token`,
    rawPath: '/token',
    rawQueryString: options.rawQueryString ?? '',
    headers: options.headers ?? {},
    body: options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api-id',
      domainName: 'auth.example.com',
      domainPrefix: 'auth',
      http: {
        method,
        path: '/token',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'unit-test',
      },
      requestId: 'request-id',
      routeKey: `${method} /token`,
      stage: '$default',
      time: '01/Jan/2024:00:00:00 +0000',
      timeEpoch: START_TIME,
    },
  };
}

/** Builds a form POST event with the given content type. */
export function formEvent(
  body: string,
  contentType = 'application/x-www-form-urlencoded',
): APIGatewayProxyEventV2 {
  return httpEvent({ body, headers: { 'content-type': contentType } });
}

/** Runs `action` and returns the OAuthError it throws, failing the test if it throws none. */
export function thrownOAuthError(action: () => unknown): OAuthError {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }

  expect(thrown).toBeInstanceOf(OAuthError);
  return thrown as OAuthError;
}

/** Awaits `promise` and returns the OAuthError it rejects with, failing the test otherwise. */
export async function rejectedOAuthError(promise: Promise<unknown>): Promise<OAuthError> {
  const thrown = await rejectionOf(promise);

  expect(thrown).toBeInstanceOf(OAuthError);
  return thrown as OAuthError;
}

/** Awaits `promise` and returns what it rejects with, failing the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.unreachable('expected the promise to reject, but it resolved');
}
