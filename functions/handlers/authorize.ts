/**
 * GET and POST /authorize: the authorization endpoint (RFC 6749 section 3.1; OpenID Connect
 * allows POST with form parameters). It redirects the browser to the login or consent page,
 * or back to the client with a code or an error.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { INTERACTION_COOKIE, readCookie, SESSION_COOKIE, serializeCookie } from '../http/cookies.ts';
import { httpHandler } from '../http/handler.ts';
import { logger } from '../http/logger.ts';
import {
  readFormBodyWithRepeats,
  readQueryWithRepeats,
  type ParametersWithRepeats,
} from '../http/parameters.ts';
import { redirectResponse } from '../http/responses.ts';
import { responseModeOf, validateAuthorizationRequest } from '../oauth/authorization-request.ts';
import {
  completeAuthorization,
  decideNextStep,
  findSignedInUser,
  startInteraction,
} from '../oauth/authorization.ts';
import { epochSeconds } from '../oauth/clock.ts';
import { OAuthError, RedirectableError } from '../oauth/errors.ts';
import { authorization } from '../runtime/services.ts';

export const handler = httpHandler(
  async (event) => {
    const { parameters, repeated } = readParameters(event);
    const { request, client } = await validateAuthorizationRequest(
      parameters,
      authorization.clients,
      repeated,
    );
    logger.appendKeys({ clientId: client.clientId });

    const signedIn = await findSignedInUser(readCookie(event, SESSION_COOKIE), authorization);
    const step = await decideNextStep(request, client, signedIn, authorization).catch(
      (error: unknown) => {
        // The redirect URI is verified by now, so prompt=none errors go back to the client.
        if (!(error instanceof OAuthError)) throw error;
        const responseMode = responseModeOf(request);
        throw new RedirectableError(error, request.redirectUri, request.state, responseMode);
      },
    );

    if (step.kind === 'complete') {
      return redirectResponse(await completeAuthorization(request, step.signedIn, authorization));
    }

    const requireLoginAfter = step.kind === 'login' ? epochSeconds(authorization.clock) : undefined;
    const { interaction, bindingCookie } = await startInteraction(
      request,
      authorization,
      requireLoginAfter,
      readCookie(event, INTERACTION_COOKIE),
    );
    const page = step.kind === 'login' ? 'login' : 'consent';
    const cookie = serializeCookie(INTERACTION_COOKIE, bindingCookie, {
      maxAge: authorization.settings.interactionLifetimeSeconds,
      secure: authorization.settings.secureCookies,
    });
    const { issuer } = authorization.settings;
    return redirectResponse(`${issuer}/${page}?interaction=${interaction.interactionId}`, {
      cookies: [cookie],
    });
  },
  { errorFormat: 'html', issuer: authorization.settings.issuer },
);

function readParameters(event: APIGatewayProxyEventV2): ParametersWithRepeats {
  return event.requestContext.http.method === 'POST'
    ? readFormBodyWithRepeats(event)
    : readQueryWithRepeats(event);
}
