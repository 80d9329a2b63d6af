/** GET /consent: asks the signed-in user to allow the scopes that the client requests. */
import { INTERACTION_COOKIE, readCookie, SESSION_COOKIE } from '../http/cookies.ts';
import { httpHandler } from '../http/handler.ts';
import { readQuery } from '../http/parameters.ts';
import { htmlResponse, redirectResponse } from '../http/responses.ts';
import { decideNextStep, findSignedInUser } from '../oauth/authorization.ts';
import {
  finishInteraction,
  loadInteraction,
  satisfiesLoginRequirement,
} from '../oauth/interaction.ts';
import { renderConsentPage } from '../pages/consent-page.ts';
import { pageHeaders } from '../pages/html.ts';
import { authorization } from '../runtime/services.ts';
import { requireClient } from './interaction-client.ts';

export const handler = httpHandler(
  async (event) => {
    const interaction = await loadInteraction(
      readQuery(event).get('interaction'),
      readCookie(event, INTERACTION_COOKIE),
      authorization,
    );
    const signedIn = await findSignedInUser(readCookie(event, SESSION_COOKIE), authorization);
    if (!satisfiesLoginRequirement(interaction, signedIn)) {
      const location = `${authorization.settings.issuer}/login?interaction=${interaction.interactionId}`;
      return redirectResponse(location);
    }

    const client = await requireClient(interaction);
    const step = await decideNextStep(interaction.request, client, signedIn, authorization, {
      loginFresh: true,
    });
    if (step.kind !== 'consent') {
      // Consent was given meanwhile, in another tab for instance: nothing is left to ask.
      return redirectResponse(await finishInteraction(interaction, signedIn, authorization));
    }

    const html = renderConsentPage({
      clientName: client.clientName ?? client.clientId,
      username: signedIn.user.username,
      scopes: step.scopesToAsk,
      interactionId: interaction.interactionId,
      csrfToken: interaction.csrfToken,
    });
    return htmlResponse(200, html, pageHeaders());
  },
  { errorFormat: 'html', issuer: authorization.settings.issuer },
);
