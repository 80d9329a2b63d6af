/**
 * The authorization endpoint's decisions after a request is validated: whether the user must
 * sign in or consent, and, once neither is needed, the authorization code and the redirect
 * that carries it (RFC 6749 section 4.1.2, with `iss` from RFC 9207). For the implicit flow,
 * the redirect carries the tokens in its fragment instead (section 4.2.2).
 */
import type { AuthorizationRequest } from './authorization-request.ts';
import type { ClientStore, RegisteredClient } from './client.ts';
import { epochSeconds, type Clock } from './clock.ts';
import {
  ConsentRequiredError,
  LoginRequiredError,
  type OAuthError,
  type ResponseMode,
} from './errors.ts';
import {
  hashSecretValue,
  newSingleUseValue,
  randomToken,
  type AuthorizationCodeStore,
  type Interaction,
  type InteractionStore,
} from './grant-records.ts';
import { implicitResponseParameters } from './implicit.ts';
import { isBeforeCutoff } from './revocation-cutoffs.ts';
import type { SigningKeys } from './signing-keys.ts';
import type { ConsentStore, Session, SessionStore, User, UserStore } from './users.ts';

export interface AuthorizationSettings {
  issuer: string;
  /** The region that issues codes, named in them; undefined outside AWS. */
  region?: string;
  authorizationCodeLifetimeSeconds: number;
  sessionLifetimeSeconds: number;
  /** How long a user has to sign in and consent. */
  interactionLifetimeSeconds: number;
  /** Whether cookies carry the Secure attribute: false only for a plain-http loopback issuer. */
  secureCookies: boolean;
  /** Lifetimes and audience of the tokens that the implicit flow issues. */
  accessTokenLifetimeSeconds: number;
  accessTokenAudience: string;
  idTokenLifetimeSeconds: number;
}

export interface AuthorizationContext {
  settings: AuthorizationSettings;
  clients: ClientStore;
  users: UserStore;
  sessions: SessionStore;
  consents: ConsentStore;
  interactions: InteractionStore;
  codes: AuthorizationCodeStore;
  /** Signs the tokens of the implicit flow. */
  signingKeys: SigningKeys;
  clock: Clock;
}

/** A signed-in user, as read from the session cookie. */
export interface SignedInUser {
  session: Session;
  user: User;
}

export type NextStep =
  | { kind: 'login' }
  | { kind: 'consent'; signedIn: SignedInUser; scopesToAsk: string[] }
  | { kind: 'complete'; signedIn: SignedInUser };

/**
 * Decides what the request needs next. `loginFresh` means that the user signed in for this very
 * request, which satisfies `prompt=login`; `consentGiven` likewise satisfies `prompt=consent`.
 */
export async function decideNextStep(
  request: AuthorizationRequest,
  client: RegisteredClient,
  signedIn: SignedInUser | undefined,
  context: AuthorizationContext,
  { loginFresh = false, consentGiven = false } = {},
): Promise<NextStep> {
  if (signedIn === undefined || needsLogin(request, signedIn.session, loginFresh, context.clock)) {
    if (request.prompt.includes('none')) {
      throw new LoginRequiredError('The user is not signed in, and prompt=none forbids asking.');
    }
    return { kind: 'login' };
  }
  if (client.skipConsent || consentGiven) return { kind: 'complete', signedIn };

  const granted = await context.consents.findGrantedScopes(signedIn.user.userId, client.clientId);
  const forced = request.prompt.includes('consent');
  const scopesToAsk = forced ? request.scopes : request.scopes.filter((s) => !granted.includes(s));
  if (scopesToAsk.length === 0 && !forced) return { kind: 'complete', signedIn };

  if (request.prompt.includes('none')) {
    throw new ConsentRequiredError('The user must consent, and prompt=none forbids asking.');
  }
  return { kind: 'consent', signedIn, scopesToAsk };
}

function needsLogin(
  request: AuthorizationRequest,
  session: Session,
  loginFresh: boolean,
  clock: Clock,
): boolean {
  if (loginFresh) return false;
  if (request.prompt.includes('login')) return true;
  return request.maxAge !== undefined && epochSeconds(clock) - session.authTime > request.maxAge;
}

/**
 * Reads the signed-in user behind a session cookie value, or undefined. A session whose
 * sign-in is before the user's `signedOutAt` no longer counts: the user was signed out
 * everywhere.
 */
export async function findSignedInUser(
  cookieValue: string | undefined,
  context: Pick<AuthorizationContext, 'sessions' | 'users'>,
): Promise<SignedInUser | undefined> {
  if (cookieValue === undefined || cookieValue === '') return undefined;

  const session = await context.sessions.findSession(hashSecretValue(cookieValue));
  if (session === undefined) return undefined;
  const user = await context.users.findUserById(session.userId);
  if (user === undefined || user.disabled) return undefined;
  if (isBeforeCutoff(session.authTime, user.signedOutAt)) return undefined;
  return { session, user };
}

/**
 * Stores a pending request and returns it with the browser binding cookie's value. A browser
 * that already has a binding cookie keeps it, so that requests started in several tabs all
 * stay valid.
 */
export async function startInteraction(
  request: AuthorizationRequest,
  context: AuthorizationContext,
  requireLoginAfter: number | undefined,
  existingBinding?: string,
): Promise<{ interaction: Interaction; bindingCookie: string }> {
  const reusable = existingBinding !== undefined && /^[A-Za-z0-9_-]{43}$/.test(existingBinding);
  const bindingCookie = reusable ? existingBinding : randomToken();
  const now = epochSeconds(context.clock);
  const interaction: Interaction = {
    interactionId: randomToken(),
    request,
    bindingHash: hashSecretValue(bindingCookie),
    csrfToken: randomToken(),
    expiresAt: now + context.settings.interactionLifetimeSeconds,
    ...(requireLoginAfter === undefined ? {} : { requireLoginAfter }),
  };
  await context.interactions.createInteraction(interaction);
  return { interaction, bindingCookie };
}

/**
 * Issues a code for the request, or the tokens of an implicit request, and returns the
 * redirect URI that carries them to the client.
 */
export async function completeAuthorization(
  request: AuthorizationRequest,
  signedIn: SignedInUser,
  context: AuthorizationContext,
): Promise<string> {
  if (request.responseType !== 'code') {
    const { user, session } = signedIn;
    const parameters = await implicitResponseParameters(request, user.userId, session, context);
    return responseRedirect(request.redirectUri, context.settings.issuer, parameters, 'fragment');
  }

  const code = newSingleUseValue(context.settings.region);
  const now = epochSeconds(context.clock);
  await context.codes.saveCode({
    codeHash: hashSecretValue(code),
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    userId: signedIn.user.userId,
    scopes: request.scopes,
    ...(request.codeChallenge === undefined ? {} : { codeChallenge: request.codeChallenge }),
    ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
    authTime: signedIn.session.authTime,
    amr: signedIn.session.amr,
    expiresAt: now + context.settings.authorizationCodeLifetimeSeconds,
  });

  return responseRedirect(request.redirectUri, context.settings.issuer, {
    code,
    state: request.state,
  });
}

/**
 * Builds the redirect URI that carries an error to the client (RFC 6749 sections 4.1.2.1
 * and 4.2.2.1).
 */
export function errorRedirect(
  redirectUri: string,
  issuer: string,
  error: OAuthError,
  state: string | undefined,
  responseMode: ResponseMode = 'query',
): string {
  const parameters = { error: error.error, error_description: error.description, state };
  return responseRedirect(redirectUri, issuer, parameters, responseMode);
}

/**
 * Adds response parameters to the redirect URI's query, keeping the query it already has
 * (RFC 6749 section 3.1.2), or puts them in its fragment, with `iss` as RFC 9207 requires.
 */
function responseRedirect(
  redirectUri: string,
  issuer: string,
  parameters: Record<string, string | undefined>,
  responseMode: ResponseMode = 'query',
): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined) query.append(name, value);
  }
  query.append('iss', issuer);
  // RFC 6749 section 3.1.2 forbids a fragment in a redirect URI, so the response adds the only one.
  if (responseMode === 'fragment') return `${redirectUri}#${query.toString()}`;

  // Appending to the string, rather than through URL.searchParams, keeps the registered query
  // byte for byte, as RFC 6749 section 3.1.2 requires.
  const separator = redirectUri.includes('?') ? '&' : '?';
  return `${redirectUri}${separator}${query.toString()}`;
}
