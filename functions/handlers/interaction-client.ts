/** The client of a pending interaction, which must still be registered. */
import type { RegisteredClient } from '../oauth/client.ts';
import { InvalidRequestError } from '../oauth/errors.ts';
import type { Interaction } from '../oauth/grant-records.ts';
import { authorization } from '../runtime/services.ts';

export async function requireClient(interaction: Interaction): Promise<RegisteredClient> {
  const client = await authorization.clients.findClient(interaction.request.clientId);
  if (client === undefined) {
    throw new InvalidRequestError('The application that started this request is no longer registered.');
  }
  return client;
}
