/** GET /login: the login form of a pending authorization request. */
import { INTERACTION_COOKIE, readCookie } from '../http/cookies.ts';
import { httpHandler } from '../http/handler.ts';
import { readQuery } from '../http/parameters.ts';
import { htmlResponse } from '../http/responses.ts';
import { loadInteraction } from '../oauth/interaction.ts';
import { pageHeaders } from '../pages/html.ts';
import { renderLoginPage } from '../pages/login-page.ts';
import { authorization } from '../runtime/services.ts';

export const handler = httpHandler(
  async (event) => {
    const query = readQuery(event);
    const interaction = await loadInteraction(
      query.get('interaction'),
      readCookie(event, INTERACTION_COOKIE),
      authorization,
    );
    const client = await authorization.clients.findClient(interaction.request.clientId);

    const html = renderLoginPage({
      clientName: client?.clientName ?? interaction.request.clientId,
      interactionId: interaction.interactionId,
      csrfToken: interaction.csrfToken,
      ...(interaction.request.loginHint === undefined
        ? {}
        : { username: interaction.request.loginHint }),
    });
    return htmlResponse(200, html, pageHeaders());
  },
  { errorFormat: 'html' },
);
