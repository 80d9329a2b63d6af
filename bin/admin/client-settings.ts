/**
 * Client registrations from command line options: parsing each option's value, and checking
 * that the client as a whole can work, so that a mistake fails here rather than at sign-in.
 */
import type { JWK } from 'jose';
import { readFile } from 'node:fs/promises';
import {
  CLIENT_AUTHENTICATION_METHODS,
  GRANT_TYPES,
  RESPONSE_TYPES,
  type ClientAuthenticationMethod,
  type GrantType,
  type RegisteredClient,
  type ResponseType,
} from '../../functions/oauth/client.ts';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../functions/oauth/signing-keys.ts';
import { UsageError } from './errors.ts';

/** Visible ASCII, as the local server's DEMO_CLIENT_ID. */
const CLIENT_ID = /^[\x21-\x7e]{1,255}$/;

/** scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), RFC 6749 appendix A.4 */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Members that only a private or symmetric JWK has (RFC 7518 section 6). */
const PRIVATE_KEY_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Limits of the per-client lifetimes, in seconds. */
export const LIFETIME_LIMITS = {
  accessTokenLifetimeSeconds: { option: 'access-token-lifetime', min: 60, max: 86_400 },
  refreshTokenIdleSeconds: { option: 'refresh-token-idle', min: 60, max: 31_536_000 },
  refreshTokenAbsoluteSeconds: { option: 'refresh-token-absolute', min: 60, max: 31_536_000 },
} as const;

export type LifetimeField = keyof typeof LIFETIME_LIMITS;

export function parseClientId(value: string): string {
  if (!CLIENT_ID.test(value)) {
    throw new UsageError(
      `The client id '${value}' is invalid: use 1 to 255 visible ASCII characters, no spaces.`,
    );
  }
  return value;
}

export function parseAuthMethod(value: string): ClientAuthenticationMethod {
  return parseChoice(value, CLIENT_AUTHENTICATION_METHODS, 'auth-method');
}

/** Parses repeated values that may each hold several items separated by commas. */
export function parseGrantTypes(values: string[]): GrantType[] {
  return unique(splitCommas(values).map((value) => parseChoice(value, GRANT_TYPES, 'grant-type')));
}

export function parseResponseTypes(values: string[]): ResponseType[] {
  const items = splitCommas(values).map((value) => value.trim().replace(/\s+/g, ' '));
  return unique(items.map((value) => parseChoice(value, RESPONSE_TYPES, 'response-type')));
}

/** Parses repeated values that may each hold several scopes separated by spaces. */
export function parseScopes(values: string[]): string[] {
  const scopes = values.flatMap((value) => value.split(' ')).filter((scope) => scope !== '');
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope)) {
      throw new UsageError(
        `The scope '${scope}' is invalid: scopes are printable ASCII without '"' or '\\'.`,
      );
    }
  }
  return unique(scopes);
}

export function parseSigningAlgorithm(value: string): SigningAlgorithm {
  return parseChoice(value, SIGNING_ALGORITHMS, 'id-token-alg');
}

/** Parses a lifetime in whole seconds within the field's limits. */
export function parseLifetime(value: string, field: LifetimeField): number {
  const { option, min, max } = LIFETIME_LIMITS[field];
  const seconds = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= min && seconds <= max)) {
    throw new UsageError(
      `--${option} ${value} is invalid: use whole seconds from ${min} to ${max}.`,
    );
  }
  return seconds;
}

/** Checks a redirect or post-logout URI: https, http on loopback, or a private-use scheme. */
export function parseRedirectUri(value: string, option: string): string {
  const problem = redirectUriProblem(value);
  if (problem !== undefined) throw new UsageError(`--${option} ${value} is invalid: ${problem}.`);
  return value;
}

function redirectUriProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return 'it is not an absolute URI';
  const url = new URL(value);
  // RFC 6749 section 3.1.2: the redirection endpoint URI must not include a fragment.
  if (url.hash !== '' || value.includes('#')) return 'it has a fragment';
  if (url.username !== '' || url.password !== '') return 'it has user information';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(url.hostname)
      ? undefined
      : 'plain http is allowed only on loopback (127.0.0.1, [::1], localhost); use https';
  }
  // RFC 8252 section 7.1: native apps use a private-use scheme in reverse domain name form.
  if (url.protocol.slice(0, -1).includes('.')) return undefined;
  return 'use https, http on loopback, or a private-use scheme such as com.example.app:/callback';
}

/**
 * Reads a JWK Set (RFC 7517 section 5), or a single JWK, from a file: the public keys of a
 * `private_key_jwt` client.
 */
export async function readJwksFile(path: string): Promise<{ keys: JWK[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`The JWK Set file ${path} cannot be read: ${reason}.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`The JWK Set file ${path} is not JSON.`);
  }
  const keys = isObject(value) && Array.isArray(value.keys) ? value.keys : [value];
  return { keys: keys.map((key: unknown, index: number) => checkPublicJwk(key, path, index)) };
}

function checkPublicJwk(key: unknown, path: string, index: number): JWK {
  const where = `Key ${index + 1} of ${path}`;
  if (!isObject(key) || !['RSA', 'EC', 'OKP'].includes(String(key.kty))) {
    throw new UsageError(`${where} is not a JWK with kty RSA, EC or OKP.`);
  }
  const privateMembers = PRIVATE_KEY_MEMBERS.filter((member) => member in key);
  if (privateMembers.length > 0) {
    throw new UsageError(
      `${where} is a private key (it has ${privateMembers.join(', ')}). Register only the ` +
        'public key: the server must never hold the client\'s private key.',
    );
  }
  return key as JWK;
}

/**
 * Returns what keeps the client from working, one sentence each, or an empty list. The
 * checks follow the endpoints: the code flow needs the `code` response type and a redirect
 * URI, a public client has no secret to protect client credentials or introspection, and so on.
 */
export function clientProblems(client: RegisteredClient): string[] {
  const problems: string[] = [];
  const grants = client.grantTypes;
  const responseTypes = client.responseTypes ?? [];
  const method = client.tokenEndpointAuthMethod;
  const has = (grant: GrantType) => grants.includes(grant);

  if (grants.length === 0 && client.introspection !== true) {
    problems.push('The client has no grant type and may not introspect, so it can do nothing.');
  }
  if (method === 'none' && has('client_credentials')) {
    problems.push('A public client (auth method none) cannot use client_credentials.');
  }
  if (method === 'none' && client.introspection === true) {
    problems.push('A public client (auth method none) may not introspect.');
  }
  if (method === 'private_key_jwt' && (client.jwks?.keys.length ?? 0) === 0) {
    problems.push('A private_key_jwt client needs its public keys: pass --jwks-file.');
  }
  if (method !== 'private_key_jwt' && client.jwks !== undefined) {
    problems.push('Only a private_key_jwt client has a JWK Set.');
  }
  if (has('refresh_token') && !has('authorization_code') && !has('password')) {
    problems.push('The refresh_token grant needs authorization_code or password.');
  }
  if (has('authorization_code') && !responseTypes.includes('code')) {
    problems.push('The authorization_code grant needs the response type code.');
  }
  if (responseTypes.includes('code') && !has('authorization_code')) {
    problems.push('The response type code needs the authorization_code grant.');
  }
  const implicitTypes = responseTypes.filter((type) => type !== 'code');
  if (has('implicit') && implicitTypes.length === 0) {
    problems.push("The implicit grant needs the response type 'token' or 'id_token token'.");
  }
  if (implicitTypes.length > 0 && !has('implicit')) {
    problems.push(`The response type '${implicitTypes[0]}' needs the implicit grant.`);
  }
  const redirects = has('authorization_code') || has('implicit');
  if (redirects && (client.redirectUris ?? []).length === 0) {
    problems.push('The authorization_code and implicit grants need a redirect URI.');
  }
  if (!redirects && (client.redirectUris ?? []).length > 0) {
    problems.push('Redirect URIs need the authorization_code or implicit grant.');
  }
  const idle = client.refreshTokenIdleSeconds;
  const absolute = client.refreshTokenAbsoluteSeconds;
  if (idle !== undefined && absolute !== undefined && idle > absolute) {
    problems.push('The refresh token idle lifetime exceeds the absolute lifetime.');
  }
  return problems;
}

/** Throws a UsageError that lists every problem of the client, if it has any. */
export function checkClient(client: RegisteredClient): void {
  const problems = clientProblems(client);
  if (problems.length > 0) {
    throw new UsageError(`The client ${client.clientId} would not work: ${problems.join(' ')}`);
  }
}

function parseChoice<Choice extends string>(
  value: string,
  choices: readonly Choice[],
  option: string,
): Choice {
  if ((choices as readonly string[]).includes(value)) return value as Choice;
  throw new UsageError(`--${option} '${value}' is invalid: use one of ${choices.join(', ')}.`);
}

function splitCommas(values: string[]): string[] {
  return values.flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
}

function unique<Item>(items: Item[]): Item[] {
  return [...new Set(items)];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
