/**
 * POST /consent: records the user's decision. Allow stores the consent and sends the client a
 * code; Deny sends it `access_denied` (RFC 6749 section 4.1.2.1).
 */
import {
  INTERACTION_COOKIE,
  readCookie,
  SESSION_COOKIE,
} from '../http/cookies.ts';
import { httpHandler } from '../http/handler.ts';
import { logger } from '../http/logger.ts';
import { readFormBody } from '../http/parameters.ts';
import { redirectResponse } from '../http/responses.ts';
import { findSignedInUser } from '../oauth/authorization.ts';
import { InvalidRequestError } from '../oauth/errors.ts';
import {
  checkCsrfToken,
  denyInteraction,
  finishInteraction,
  loadInteraction,
  satisfiesLoginRequirement,
} from '../oauth/interaction.ts';
import { authorization } from '../runtime/services.ts';
import { requireClient } from './interaction-client.ts';

export const handler = httpHandler(
  async (event) => {
    const form = readFormBody(event);
    const interaction = await loadInteraction(
      form.get('interaction'),
      readCookie(event, INTERACTION_COOKIE),
      authorization,
    );
    checkCsrfToken(interaction, form.get('csrf_token'));

    const signedIn = await findSignedInUser(readCookie(event, SESSION_COOKIE), authorization);
    if (!satisfiesLoginRequirement(interaction, signedIn)) {
      const location = `${authorization.settings.issuer}/login?interaction=${interaction.interactionId}`;
      return redirectResponse(location, { status: 303 });
    }
    const client = await requireClient(interaction);
    const decision = form.get('decision');

    if (decision === 'deny') {
      logger.info('consent denied', { clientId: client.clientId, userId: signedIn.user.userId });
      const location = await denyInteraction(interaction, authorization);
      return redirectResponse(location, { status: 303 });
    }
    if (decision !== 'allow') {
      throw new InvalidRequestError('The decision must be allow or deny.');
    }

    const { scopes } = interaction.request;
    await authorization.consents.grantScopes(signedIn.user.userId, client.clientId, scopes);
    const location = await finishInteraction(interaction, signedIn, authorization);
    return redirectResponse(location, { status: 303 });
  },
  { errorFormat: 'html', issuer: authorization.settings.issuer },
);
