/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). A client sends the browser to
 * the end session endpoint, and the server ends its browser session. It then redirects the
 * browser to the client's registered post-logout redirect URI, or shows that the user is
 * signed out.
 *
 * Section 2 of the specification requires the server to ask the user before it signs them out
 * unless an `id_token_hint` shows that the request concerns the signed-in user, because
 * otherwise any site could sign users out. The server also asks after a POST from another
 * site, because the browser withholds the SameSite=Lax session cookie from such a POST, so the
 * server cannot tell whether someone is signed in.
 */
import { errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import type { Parameters } from '../http/parameters.ts';
import { printable } from '../http/parameters.ts';
import type { ClientStore } from './client.ts';
import { InvalidRequestError } from './errors.ts';
import { ID_TOKEN_TYPE } from './id-token.ts';
import { matchRedirectUri } from './redirect-uri.ts';
import { SIGNING_ALGORITHMS, type SigningKeys } from './signing-keys.ts';

/** The longest `state` that the server sends back, as at the authorization endpoint. */
const MAX_STATE_LENGTH = 2048;

export interface EndSessionContext {
  issuer: string;
  clients: ClientStore;
  signingKeys: SigningKeys;
}

/** A validated logout request. */
export interface LogoutRequest {
  /** The client named by the hint's `aud` or by `client_id`. */
  clientId?: string;
  /** A registered post-logout redirect URI of that client. */
  postLogoutRedirectUri?: string;
  state?: string;
  /** The `sub` of a verified `id_token_hint`. */
  hintSubject?: string;
  /** The hint as sent, which the confirmation form sends again. */
  idTokenHint?: string;
}

/**
 * Validates the parameters of a logout request. Throws `invalid_request` for a hint that this
 * server did not issue, a `client_id` that differs from the hint's audience, and a
 * post-logout redirect URI that no named client registered. These errors are shown to the
 * user and never redirected.
 */
export async function validateLogoutRequest(
  parameters: Parameters,
  context: EndSessionContext,
): Promise<LogoutRequest> {
  const idTokenHint = parameters.get('id_token_hint');
  const hint =
    idTokenHint === undefined ? undefined : await verifyIdTokenHint(idTokenHint, context);
  const clientId = agreeOnClient(hint?.clientId, parameters.get('client_id'));
  const state = parameters.get('state');
  if (state !== undefined && state.length > MAX_STATE_LENGTH) {
    throw new InvalidRequestError(`The state parameter is longer than ${MAX_STATE_LENGTH}.`);
  }

  const requested = parameters.get('post_logout_redirect_uri');
  const postLogoutRedirectUri =
    requested === undefined ? undefined : await verifyRedirect(requested, clientId, context);

  return {
    ...(clientId === undefined ? {} : { clientId }),
    ...(postLogoutRedirectUri === undefined ? {} : { postLogoutRedirectUri }),
    ...(state === undefined ? {} : { state }),
    ...(hint === undefined ? {} : { hintSubject: hint.subject, idTokenHint }),
  };
}

/** The user and client that an `id_token_hint` names. */
export interface VerifiedHint {
  subject: string;
  clientId: string;
}

/**
 * Verifies that this server issued the ID token: a published key signed it, its `typ` is
 * that of ID tokens and its `iss` is this server. An expired ID token is accepted, as
 * RP-Initiated Logout 1.0 section 2 allows, because a relying party's copy is often old.
 */
export async function verifyIdTokenHint(
  token: string,
  { issuer, signingKeys }: Pick<EndSessionContext, 'issuer' | 'signingKeys'>,
): Promise<VerifiedHint> {
  const resolveKey = async (header: JWTHeaderParameters) => {
    const { kid } = header;
    const key = kid === undefined ? undefined : await signingKeys.verificationKey(kid);
    if (key === undefined || key.algorithm !== header.alg) {
      throw new errors.JWKSNoMatchingKey('No published signing key matches the ID token.');
    }
    return key.publicKey;
  };

  try {
    const { payload } = await jwtVerify(token, resolveKey, {
      issuer,
      typ: ID_TOKEN_TYPE,
      algorithms: [...SIGNING_ALGORITHMS],
      requiredClaims: ['sub', 'aud'],
      // A tolerance this large turns off the exp and nbf checks, so expired hints pass.
      clockTolerance: Number.MAX_SAFE_INTEGER,
    });
    const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    const [clientId] = audience;
    if (payload.sub === undefined || audience.length !== 1 || clientId === undefined) {
      throw new InvalidRequestError('The id_token_hint must name one audience.');
    }
    return { subject: payload.sub, clientId };
  } catch (error) {
    if (!(error instanceof errors.JOSEError)) throw error;
    throw new InvalidRequestError(
      'The id_token_hint is not an ID token issued by this server.',
      { cause: error },
    );
  }
}

/** RP-Initiated Logout 1.0 section 2: `client_id` must match the client of the hint. */
function agreeOnClient(
  hintClientId: string | undefined,
  clientId: string | undefined,
): string | undefined {
  if (hintClientId !== undefined && clientId !== undefined && hintClientId !== clientId) {
    throw new InvalidRequestError('The client_id differs from the audience of the id_token_hint.');
  }
  return hintClientId ?? clientId;
}

async function verifyRedirect(
  requested: string,
  clientId: string | undefined,
  { clients }: EndSessionContext,
): Promise<string> {
  if (clientId === undefined) {
    throw new InvalidRequestError(
      'A post_logout_redirect_uri needs an id_token_hint or a client_id that names the client.',
    );
  }
  const client = await clients.findClient(clientId);
  if (client === undefined) {
    throw new InvalidRequestError(`The client '${printable(clientId)}' is not registered.`);
  }
  if (matchRedirectUri(requested, client.postLogoutRedirectUris ?? []) === undefined) {
    throw new InvalidRequestError(
      `The post_logout_redirect_uri '${printable(requested, 200)}' is not registered ` +
        'for this client.',
    );
  }
  return requested;
}

/** The endpoint's next step for a valid request. */
export type LogoutStep = 'end_session' | 'confirm';

/**
 * Decides whether to end the session now or ask the user first. `confirmed` means that the
 * user pressed the button of the confirmation page. `signedInUserId` is the user of the
 * session cookie, if the request carried a valid one.
 */
export function decideLogoutStep(
  request: LogoutRequest,
  { method, confirmed, signedInUserId }: {
    method: string;
    confirmed: boolean;
    signedInUserId: string | undefined;
  },
): LogoutStep {
  if (confirmed) return 'end_session';
  // A GET from anywhere carries the Lax session cookie, so no cookie means nothing to end.
  if (signedInUserId === undefined) return method === 'GET' ? 'end_session' : 'confirm';
  return request.hintSubject === signedInUserId ? 'end_session' : 'confirm';
}

/**
 * Checks that a POST came from a page of this server, by its `Origin` header or, when a
 * browser sends none, by `Sec-Fetch-Site`. Only such a POST confirms a logout.
 */
export function isSameOriginPost(
  headers: Record<string, string | undefined>,
  issuer: string,
): boolean {
  const origin = headers.origin;
  if (origin !== undefined) return origin === new URL(issuer).origin;
  return headers['sec-fetch-site'] === 'same-origin';
}

/** The parameters of a logout request that the confirmation form sends again. */
const CONFIRMED_PARAMETERS = ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id'];

/** Returns the request's parameters for the hidden fields of the confirmation form. */
export function confirmationFields(parameters: Parameters): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const name of CONFIRMED_PARAMETERS) {
    const value = parameters.get(name);
    if (value !== undefined) fields[name] = value;
  }
  return fields;
}

/** Returns where to send the browser after logout, with `state`, or undefined for the page. */
export function postLogoutLocation(request: LogoutRequest): string | undefined {
  const { postLogoutRedirectUri, state } = request;
  if (postLogoutRedirectUri === undefined) return undefined;
  if (state === undefined) return postLogoutRedirectUri;

  // Appending keeps a registered query byte for byte, as for authorization responses.
  const separator = postLogoutRedirectUri.includes('?') ? '&' : '?';
  return `${postLogoutRedirectUri}${separator}${new URLSearchParams({ state }).toString()}`;
}
