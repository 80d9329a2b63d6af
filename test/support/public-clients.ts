/**
 * Registers public clients directly in a test table. They have no secret, so they are saved
 * without the secret hash that `registerClients` always writes.
 */
import type { RegisteredClient } from '../../functions/oauth/client.ts';
import { systemClock } from '../../functions/oauth/clock.ts';
import { ClientRepository } from '../../functions/storage/client-repository.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { LOCAL_CREDENTIALS, TEST_REGION, TEST_TABLE } from './dynalite.ts';

export type PublicClient = Omit<RegisteredClient, 'secretHash' | 'tokenEndpointAuthMethod'>;

export async function registerPublicClients(
  endpoint: string,
  clients: PublicClient[],
): Promise<void> {
  const documents = createDocumentClient({
    region: TEST_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  const repository = new ClientRepository(documents, TEST_TABLE, systemClock);

  for (const client of clients) {
    await repository.saveClient({ ...client, tokenEndpointAuthMethod: 'none' });
  }
  documents.destroy();
}
