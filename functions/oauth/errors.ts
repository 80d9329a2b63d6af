/**
 * The error model: one class per OAuth error code (RFC 6749 section 5.2), with the HTTP status
 * fixed on the class. `description` is sent to the client; `cause` reaches only the logs.
 */

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'login_required'
  | 'consent_required'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope';

export interface OAuthErrorOptions {
  cause?: unknown;
  /** Extra response headers, such as `WWW-Authenticate` or `Allow`. */
  headers?: Record<string, string>;
  /** Overrides the class's HTTP status, for 404, 405 and 413 responses in OAuth form. */
  status?: number;
}

export abstract class OAuthError extends Error {
  abstract readonly error: OAuthErrorCode;
  abstract readonly defaultStatus: number;
  readonly description: string;
  readonly headers: Record<string, string>;
  readonly #status: number | undefined;

  constructor(description: string, options: OAuthErrorOptions = {}) {
    super(description, { cause: options.cause });
    this.description = description;
    this.headers = options.headers ?? {};
    this.#status = options.status;
  }

  get status(): number {
    return this.#status ?? this.defaultStatus;
  }
}

export class InvalidRequestError extends OAuthError {
  override name = 'InvalidRequestError';
  readonly error = 'invalid_request';
  readonly defaultStatus = 400;
}

/**
 * Failed client authentication, with status 401. RFC 6749 section 5.2 requires a
 * `WWW-Authenticate` challenge when the client tried the Authorization header; `challenge:
 * false` leaves it out for clients that sent their credentials in the body, because client
 * libraries then report the challenge instead of the `invalid_client` body.
 */
export class InvalidClientError extends OAuthError {
  override name = 'InvalidClientError';
  readonly error = 'invalid_client';
  readonly defaultStatus = 401;

  constructor(description: string, options: OAuthErrorOptions & { challenge?: boolean } = {}) {
    const { challenge = true, ...rest } = options;
    const headers = challenge
      ? { 'WWW-Authenticate': 'Basic realm="oauth", charset="UTF-8"', ...rest.headers }
      : rest.headers;
    super(description, { ...rest, ...(headers === undefined ? {} : { headers }) });
  }
}

export class InvalidGrantError extends OAuthError {
  override name = 'InvalidGrantError';
  readonly error = 'invalid_grant';
  readonly defaultStatus = 400;
}

export class UnauthorizedClientError extends OAuthError {
  override name = 'UnauthorizedClientError';
  readonly error = 'unauthorized_client';
  readonly defaultStatus = 400;
}

export class UnsupportedGrantTypeError extends OAuthError {
  override name = 'UnsupportedGrantTypeError';
  readonly error = 'unsupported_grant_type';
  readonly defaultStatus = 400;
}

export class InvalidScopeError extends OAuthError {
  override name = 'InvalidScopeError';
  readonly error = 'invalid_scope';
  readonly defaultStatus = 400;
}

/** The user or the server denied the authorization request (RFC 6749 section 4.1.2.1). */
export class AccessDeniedError extends OAuthError {
  override name = 'AccessDeniedError';
  readonly error = 'access_denied';
  readonly defaultStatus = 400;
}

export class UnsupportedResponseTypeError extends OAuthError {
  override name = 'UnsupportedResponseTypeError';
  readonly error = 'unsupported_response_type';
  readonly defaultStatus = 400;
}

/** `prompt=none`, but the user must sign in (OpenID Connect Core section 3.1.2.6). */
export class LoginRequiredError extends OAuthError {
  override name = 'LoginRequiredError';
  readonly error = 'login_required';
  readonly defaultStatus = 400;
}

/** `prompt=none`, but the user must consent (OpenID Connect Core section 3.1.2.6). */
export class ConsentRequiredError extends OAuthError {
  override name = 'ConsentRequiredError';
  readonly error = 'consent_required';
  readonly defaultStatus = 400;
}

/** An unexpected fault. The description stays generic; the cause goes to the logs. */
export class ServerError extends OAuthError {
  override name = 'ServerError';
  readonly error = 'server_error';
  readonly defaultStatus = 500;
}

/** Storage or another dependency failed in a way that a retry may fix: 503 with Retry-After. */
export class TemporarilyUnavailableError extends OAuthError {
  override name = 'TemporarilyUnavailableError';
  readonly error = 'temporarily_unavailable';
  readonly defaultStatus = 503;

  constructor(description: string, options: OAuthErrorOptions & { retryAfterSeconds?: number }) {
    const retryAfter = String(options.retryAfterSeconds ?? 1);
    super(description, { ...options, headers: { 'Retry-After': retryAfter, ...options.headers } });
  }
}

/**
 * Builds the `WWW-Authenticate` header of a bearer token resource (RFC 6750 section 3). Without
 * an error it is the bare challenge that section 3.1 advises for a request without a token.
 * Characters that a quoted-string of the header cannot carry become `?`.
 */
export function bearerChallenge(
  error?: { code: OAuthErrorCode; description: string; scope?: string },
): Record<string, string> {
  if (error === undefined) return { 'WWW-Authenticate': 'Bearer' };

  const parameters = [
    `error="${error.code}"`,
    `error_description="${quotable(error.description)}"`,
  ];
  if (error.scope !== undefined) parameters.push(`scope="${quotable(error.scope)}"`);
  return { 'WWW-Authenticate': `Bearer ${parameters.join(', ')}` };
}

function quotable(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?');
}

/**
 * The access token is missing, malformed, expired, revoked or not the server's (RFC 6750
 * section 3.1), with status 401 and a Bearer challenge that repeats the error. Headers in
 * `options` replace the challenge, as for a request that sent no token.
 */
export class InvalidTokenError extends OAuthError {
  override name = 'InvalidTokenError';
  readonly error = 'invalid_token';
  readonly defaultStatus = 401;

  constructor(description: string, options: OAuthErrorOptions = {}) {
    const challenge = bearerChallenge({ code: 'invalid_token', description });
    super(description, { ...options, headers: { ...challenge, ...options.headers } });
  }
}

/** The access token lacks a scope that the resource requires (RFC 6750 section 3.1): 403. */
export class InsufficientScopeError extends OAuthError {
  override name = 'InsufficientScopeError';
  readonly error = 'insufficient_scope';
  readonly defaultStatus = 403;

  constructor(description: string, options: OAuthErrorOptions & { scope: string }) {
    const { scope, ...rest } = options;
    const challenge = bearerChallenge({ code: 'insufficient_scope', description, scope });
    super(description, { ...rest, headers: { ...challenge, ...rest.headers } });
  }
}

/**
 * The part of the redirect URI that carries an authorization response: the query for the
 * code flow, the fragment for the implicit flow (OAuth 2.0 Multiple Response Type Encoding
 * Practices).
 */
export type ResponseMode = 'query' | 'fragment';

/**
 * An error of the authorization endpoint after the client and its redirect URI are verified,
 * so it is sent to the client by redirect (RFC 6749 section 4.1.2.1). Errors before that point
 * are plain OAuthErrors, which the endpoint shows to the user and never redirects.
 */
export class RedirectableError extends Error {
  override name = 'RedirectableError';
  readonly oauthError: OAuthError;
  readonly redirectUri: string;
  readonly state: string | undefined;
  readonly responseMode: ResponseMode;

  constructor(
    oauthError: OAuthError,
    redirectUri: string,
    state: string | undefined,
    responseMode: ResponseMode = 'query',
  ) {
    super(oauthError.description, { cause: oauthError });
    this.oauthError = oauthError;
    this.redirectUri = redirectUri;
    this.state = state;
    this.responseMode = responseMode;
  }
}
