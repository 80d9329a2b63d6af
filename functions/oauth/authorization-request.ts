/**
 * Validation of authorization requests (RFC 6749 sections 4.1.1 and 4.2.1, RFC 7636, OpenID
 * Connect Core sections 3.1.2.1 and 3.2.2.1). The client and its redirect URI are checked
 * first: errors up to that point are shown to the user and never redirected, because the
 * redirect URI is not trusted yet. Every later error is a RedirectableError, sent back to the
 * client in the query, or in the fragment when the client may use the requested implicit flow.
 */
import type { Parameters } from '../http/parameters.ts';
import { printable } from '../http/parameters.ts';
import type { ClientStore, RegisteredClient, ResponseType } from './client.ts';
import { isPublicClient } from './client.ts';
import {
  InvalidRequestError,
  OAuthError,
  RedirectableError,
  UnauthorizedClientError,
  UnsupportedResponseTypeError,
  type ResponseMode,
} from './errors.ts';
import { OPENID_SCOPE } from './id-token.ts';
import { isValidS256Challenge } from './pkce.ts';
import { matchRedirectUri } from './redirect-uri.ts';
import { grantScopes } from './scope.ts';

export type Prompt = 'none' | 'login' | 'consent' | 'select_account';

export const PROMPTS: readonly Prompt[] = ['none', 'login', 'consent', 'select_account'];

/** The longest `state`, `nonce` or `login_hint` that the server stores. */
const MAX_OPAQUE_LENGTH = 2048;

/** A validated authorization request, as stored while the user signs in and consents. */
export interface AuthorizationRequest {
  clientId: string;
  /** The redirect URI as requested: the response goes there and the code is bound to it. */
  redirectUri: string;
  responseType: ResponseType;
  scopes: string[];
  state?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256';
  nonce?: string;
  prompt: Prompt[];
  /** Seconds: the longest time since the user last entered a password. */
  maxAge?: number;
  loginHint?: string;
}

export interface ValidatedRequest {
  request: AuthorizationRequest;
  client: RegisteredClient;
}

/**
 * Validates an authorization request. `repeated` names the parameters that appeared more than
 * once: a repeated client_id or redirect_uri is shown to the user, any other repeat is sent
 * to the client as `invalid_request` (RFC 6749 sections 3.1 and 4.1.2.1).
 */
export async function validateAuthorizationRequest(
  parameters: Parameters,
  clients: ClientStore,
  repeated: readonly string[] = [],
): Promise<ValidatedRequest> {
  for (const name of ['client_id', 'redirect_uri']) {
    if (repeated.includes(name)) throw new InvalidRequestError(`The parameter '${name}' is repeated.`);
  }
  const client = await findClient(parameters.get('client_id'), clients);
  const redirectUri = verifyRedirectUri(parameters.get('redirect_uri'), client);
  const state = parameters.get('state');
  const implicitType = implicitTypeOf(parameters.get('response_type'), client);
  const responseMode: ResponseMode = implicitType === undefined ? 'query' : 'fragment';

  try {
    const [firstRepeat] = repeated;
    if (firstRepeat !== undefined) {
      throw new InvalidRequestError(`The parameter '${printable(firstRepeat)}' is repeated.`);
    }
    const request = validateAfterRedirectUri(parameters, client, redirectUri, state, responseMode);
    return { request, client };
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    throw new RedirectableError(error, redirectUri, cap(state), responseMode);
  }
}

/** Returns where the request's response goes: the fragment for the implicit flow. */
export function responseModeOf(request: AuthorizationRequest): ResponseMode {
  return request.responseType === 'code' ? 'query' : 'fragment';
}

const IMPLICIT_RESPONSE_TYPES: readonly ResponseType[] = ['token', 'id_token token'];

/**
 * Returns the implicit response type that `response_type` names, when the client registered
 * it and the `implicit` grant type. Otherwise it returns undefined, and the request is treated
 * as before the implicit option existed. The values of `response_type` may come in any order
 * (OAuth 2.0 Multiple Response Type Encoding Practices, section 5).
 */
function implicitTypeOf(
  responseType: string | undefined,
  client: RegisteredClient,
): ResponseType | undefined {
  if (responseType === undefined) return undefined;

  const normalized = responseType.split(' ').filter((value) => value !== '').sort().join(' ');
  const type = IMPLICIT_RESPONSE_TYPES.find((implicit) => implicit === normalized);
  if (type === undefined || !client.grantTypes.includes('implicit')) return undefined;
  return client.responseTypes?.includes(type) ? type : undefined;
}

async function findClient(
  clientId: string | undefined,
  clients: ClientStore,
): Promise<RegisteredClient> {
  if (clientId === undefined) throw new InvalidRequestError('The client_id parameter is missing.');

  const client = await clients.findClient(clientId);
  if (client === undefined) {
    throw new InvalidRequestError(`The client '${printable(clientId)}' is not registered.`);
  }
  return client;
}

function verifyRedirectUri(requested: string | undefined, client: RegisteredClient): string {
  if (requested === undefined) {
    throw new InvalidRequestError('The redirect_uri parameter is missing.');
  }
  if (matchRedirectUri(requested, client.redirectUris ?? []) === undefined) {
    throw new InvalidRequestError(
      `The redirect_uri '${printable(requested, 200)}' is not registered for this client.`,
    );
  }
  return requested;
}

function validateAfterRedirectUri(
  parameters: Parameters,
  client: RegisteredClient,
  redirectUri: string,
  state: string | undefined,
  responseMode: ResponseMode,
): AuthorizationRequest {
  rejectUnsupportedParameters(parameters, responseMode);
  const responseType = checkResponseType(parameters.get('response_type'), client);
  const scopes = grantScopes(parameters.get('scope'), client.scopes);
  const nonce = checkLength('nonce', parameters.get('nonce'));
  if (responseType === 'id_token token') checkIdTokenRequest(scopes, nonce);
  // PKCE protects the code, so the implicit flow, which issues none, ignores it.
  const pkce = responseType === 'code' ? checkPkce(parameters, client) : {};

  return {
    clientId: client.clientId,
    redirectUri,
    responseType,
    scopes,
    ...optional('state', checkLength('state', state)),
    ...pkce,
    ...optional('nonce', nonce),
    prompt: parsePrompt(parameters.get('prompt')),
    ...optional('maxAge', parseMaxAge(parameters.get('max_age'))),
    ...optional('loginHint', checkLength('login_hint', parameters.get('login_hint'))),
  };
}

/** Rejects `request`, `request_uri`, and a response mode other than the flow's own. */
function rejectUnsupportedParameters(parameters: Parameters, supported: ResponseMode): void {
  const responseMode = parameters.get('response_mode');
  if (responseMode !== undefined && responseMode !== supported) {
    throw new InvalidRequestError(
      `The response_mode '${printable(responseMode)}' is not supported: use ${supported}.`,
    );
  }
  for (const name of ['request', 'request_uri']) {
    if (parameters.has(name)) {
      throw new InvalidRequestError(`The ${name} parameter is not supported.`);
    }
  }
}

function checkResponseType(
  responseType: string | undefined,
  client: RegisteredClient,
): ResponseType {
  if (responseType === undefined) {
    throw new InvalidRequestError('The response_type parameter is missing.');
  }
  const implicitType = implicitTypeOf(responseType, client);
  if (implicitType !== undefined) return implicitType;
  if (responseType !== 'code') {
    throw new UnsupportedResponseTypeError(
      `The response_type '${printable(responseType)}' is not supported: use code.`,
    );
  }
  const allowed = client.responseTypes?.includes('code') ?? false;
  if (!allowed || !client.grantTypes.includes('authorization_code')) {
    throw new UnauthorizedClientError('The client may not use the authorization code flow.');
  }
  return responseType;
}

/** OpenID Connect Core section 3.2.2.1 requires `openid` and a `nonce` for an ID token here. */
function checkIdTokenRequest(scopes: string[], nonce: string | undefined): void {
  if (!scopes.includes(OPENID_SCOPE)) {
    throw new InvalidRequestError('The response_type id_token token requires the openid scope.');
  }
  if (nonce === undefined) {
    throw new InvalidRequestError(
      'The nonce parameter is required with response_type id_token token.',
    );
  }
}

function checkPkce(parameters: Parameters, client: RegisteredClient) {
  const challenge = parameters.get('code_challenge');
  const method = parameters.get('code_challenge_method');

  if (challenge === undefined) {
    if (method !== undefined) {
      throw new InvalidRequestError('The code_challenge_method is given without code_challenge.');
    }
    if (isPublicClient(client)) {
      throw new InvalidRequestError('Public clients must use PKCE: code_challenge is missing.');
    }
    return {};
  }
  if (method !== 'S256') {
    throw new InvalidRequestError(
      'The code_challenge_method must be S256. The plain method is not accepted.',
    );
  }
  if (!isValidS256Challenge(challenge)) {
    throw new InvalidRequestError('The code_challenge is not a base64url SHA-256 digest.');
  }
  return { codeChallenge: challenge, codeChallengeMethod: 'S256' as const };
}

function parsePrompt(prompt: string | undefined): Prompt[] {
  if (prompt === undefined) return [];

  const values = [...new Set(prompt.split(' ').filter((value) => value !== ''))];
  for (const value of values) {
    if (!(PROMPTS as readonly string[]).includes(value)) {
      throw new InvalidRequestError(`The prompt value '${printable(value)}' is not supported.`);
    }
  }
  if (values.includes('none') && values.length > 1) {
    throw new InvalidRequestError('The prompt value none cannot be combined with other values.');
  }
  return values as Prompt[];
}

function parseMaxAge(maxAge: string | undefined): number | undefined {
  if (maxAge === undefined) return undefined;
  if (!/^\d{1,10}$/.test(maxAge)) {
    throw new InvalidRequestError('The max_age parameter must be a whole number of seconds.');
  }
  return Number(maxAge);
}

function checkLength(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.length > MAX_OPAQUE_LENGTH) {
    throw new InvalidRequestError(`The ${name} parameter is longer than ${MAX_OPAQUE_LENGTH}.`);
  }
  return value;
}

function cap(state: string | undefined): string | undefined {
  return state !== undefined && state.length <= MAX_OPAQUE_LENGTH ? state : undefined;
}

function optional<Name extends string, Value>(name: Name, value: Value | undefined) {
  return (value === undefined ? {} : { [name]: value }) as Partial<Record<Name, Value>>;
}
