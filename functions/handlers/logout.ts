/**
 * GET and POST /logout: the end session endpoint (OpenID Connect RP-Initiated Logout 1.0). It
 * ends the browser session, after a confirmation page when end-session.ts requires one. Then
 * it redirects to the client's post-logout redirect URI or shows that the user is signed out.
 */
import { expiredCookie, readCookie, SESSION_COOKIE } from '../http/cookies.ts';
import { httpHandler } from '../http/handler.ts';
import { logger } from '../http/logger.ts';
import { readFormBody, readQuery, type Parameters } from '../http/parameters.ts';
import { htmlResponse, redirectResponse, type HttpResponse } from '../http/responses.ts';
import {
  confirmationFields,
  decideLogoutStep,
  isSameOriginPost,
  postLogoutLocation,
  validateLogoutRequest,
} from '../oauth/end-session.ts';
import { hashSecretValue } from '../oauth/grant-records.ts';
import { pageHeaders } from '../pages/html.ts';
import { renderLogoutConfirmationPage, renderSignedOutPage } from '../pages/logout-page.ts';
import { authorization, endSession } from '../runtime/services.ts';

export const handler = httpHandler(
  async (event) => {
    const method = event.requestContext.http.method;
    const parameters = method === 'POST' ? readFormBody(event) : readQuery(event);
    const request = await validateLogoutRequest(parameters, endSession);
    if (request.clientId !== undefined) logger.appendKeys({ clientId: request.clientId });

    const cookieValue = readCookie(event, SESSION_COOKIE) || undefined;
    const sessionHash = cookieValue === undefined ? undefined : hashSecretValue(cookieValue);
    const session =
      sessionHash === undefined ? undefined : await authorization.sessions.findSession(sessionHash);
    const confirmed =
      method === 'POST' &&
      parameters.get('confirm') === 'yes' &&
      isSameOriginPost(event.headers, authorization.settings.issuer);
    const step = decideLogoutStep(request, {
      method,
      confirmed,
      signedInUserId: session?.userId,
    });

    if (step === 'confirm') return confirmationPage(parameters, session?.userId);

    if (sessionHash !== undefined) await authorization.sessions.deleteSession(sessionHash);
    logger.info('logout', { userId: session?.userId, ended: session !== undefined });
    const cookies =
      cookieValue === undefined
        ? []
        : [expiredCookie(SESSION_COOKIE, authorization.settings.secureCookies)];

    const location = postLogoutLocation(request);
    if (location !== undefined) {
      return redirectResponse(location, { status: method === 'POST' ? 303 : 302, cookies });
    }
    return htmlResponse(200, renderSignedOutPage(), pageHeaders(), cookies);
  },
  { errorFormat: 'html' },
);

async function confirmationPage(
  parameters: Parameters,
  userId: string | undefined,
): Promise<HttpResponse> {
  const user = userId === undefined ? undefined : await authorization.users.findUserById(userId);
  const html = renderLogoutConfirmationPage({
    ...(user === undefined ? {} : { username: user.username }),
    fields: confirmationFields(parameters),
  });
  return htmlResponse(200, html, pageHeaders());
}
