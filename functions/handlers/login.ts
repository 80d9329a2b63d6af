/**
 * POST /login: checks the user's password, starts a browser session, and continues the
 * authorization request to the consent page or back to the client. Failed attempts are
 * rate limited per username and per client address, and every failure reads the same, so
 * the response does not reveal whether a username exists.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  INTERACTION_COOKIE,
  readCookie,
  SESSION_COOKIE,
  serializeCookie,
} from '../http/cookies.ts';
import { httpHandler } from '../http/handler.ts';
import { logger } from '../http/logger.ts';
import { countEvent } from '../http/metrics.ts';
import { readFormBody } from '../http/parameters.ts';
import { htmlResponse, redirectResponse, type HttpResponse } from '../http/responses.ts';
import { decideNextStep, type SignedInUser } from '../oauth/authorization.ts';
import { epochSeconds } from '../oauth/clock.ts';
import type { RegisteredClient } from '../oauth/client.ts';
import { hashSecretValue, randomToken, type Interaction } from '../oauth/grant-records.ts';
import { checkCsrfToken, finishInteraction, loadInteraction } from '../oauth/interaction.ts';
import { verifyPassword, verifyPasswordOfMissingUser } from '../oauth/password.ts';
import type { User } from '../oauth/users.ts';
import { pageHeaders } from '../pages/html.ts';
import { renderLoginPage } from '../pages/login-page.ts';
import { authorization, loginRateLimiter } from '../runtime/services.ts';

const WRONG_CREDENTIALS = 'The username or password is incorrect.';
const TOO_MANY_ATTEMPTS =
  'Too many failed sign-in attempts. Wait 15 minutes, then try again.';

export const handler = httpHandler(
  async (event) => {
    const form = readFormBody(event);
    const interaction = await loadInteraction(
      form.get('interaction'),
      readCookie(event, INTERACTION_COOKIE),
      authorization,
    );
    checkCsrfToken(interaction, form.get('csrf_token'));

    const client = await authorization.clients.findClient(interaction.request.clientId);
    if (client === undefined) throw new Error(`client ${interaction.request.clientId} vanished`);
    const username = form.get('username') ?? '';
    const password = form.get('password') ?? '';
    const rejectWith = (status: number, error: string, errorField?: 'username') =>
      loginPage(interaction, client, status, { username, error, errorField });

    if (username === '') return rejectWith(400, 'Enter your username.', 'username');
    if (password === '') return rejectWith(400, 'Enter your password.');

    const ip = event.requestContext.http.sourceIp;
    if (!(await loginRateLimiter.checkAllowed(username, ip))) {
      logger.warn('login rate limited', { clientId: client.clientId });
      return rejectWith(429, TOO_MANY_ATTEMPTS);
    }

    const user = await checkPassword(username, password);
    if (user === undefined) {
      await loginRateLimiter.recordFailure(username, ip);
      countEvent('LoginFailures');
      logger.info('login failed', { clientId: client.clientId });
      return rejectWith(400, WRONG_CREDENTIALS);
    }

    return continueAfterLogin(event, interaction, client, user);
  },
  { errorFormat: 'html', issuer: authorization.settings.issuer },
);

async function checkPassword(username: string, password: string): Promise<User | undefined> {
  const user = await authorization.users.findUserByUsername(username);
  if (user === undefined || user.disabled) {
    await verifyPasswordOfMissingUser(password);
    return undefined;
  }
  return (await verifyPassword(password, user.passwordHash)) ? user : undefined;
}

async function continueAfterLogin(
  event: APIGatewayProxyEventV2,
  interaction: Interaction,
  client: RegisteredClient,
  user: User,
): Promise<HttpResponse> {
  const { signedIn, cookie } = await startSession(user);
  logger.info('login succeeded', { clientId: client.clientId, userId: user.userId });

  const step = await decideNextStep(interaction.request, client, signedIn, authorization, {
    loginFresh: true,
  });
  if (step.kind === 'consent') {
    const location = `${authorization.settings.issuer}/consent?interaction=${interaction.interactionId}`;
    return redirectResponse(location, { status: 303, cookies: [cookie] });
  }

  const location = await finishInteraction(interaction, signedIn, authorization);
  return redirectResponse(location, { status: 303, cookies: [cookie] });
}

async function startSession(user: User): Promise<{ signedIn: SignedInUser; cookie: string }> {
  const cookieValue = randomToken();
  const now = epochSeconds(authorization.clock);
  const lifetime = authorization.settings.sessionLifetimeSeconds;
  const session = {
    sessionHash: hashSecretValue(cookieValue),
    userId: user.userId,
    authTime: now,
    amr: ['pwd'],
    expiresAt: now + lifetime,
  };
  await authorization.sessions.createSession(session);

  const cookie = serializeCookie(SESSION_COOKIE, cookieValue, {
    maxAge: lifetime,
    secure: authorization.settings.secureCookies,
  });
  return { signedIn: { session, user }, cookie };
}

function loginPage(
  interaction: Interaction,
  client: RegisteredClient,
  status: number,
  details: { username: string; error: string; errorField?: 'username' },
): HttpResponse {
  const html = renderLoginPage({
    clientName: client.clientName ?? client.clientId,
    interactionId: interaction.interactionId,
    csrfToken: interaction.csrfToken,
    username: details.username,
    error: details.error,
    ...(details.errorField === undefined ? {} : { errorField: details.errorField }),
  });
  return htmlResponse(status, html, pageHeaders());
}
