/** Registers clients directly in a test table, as an administrator would. */
import type { RegisteredClient } from '../../functions/oauth/client.ts';
import { hashClientSecret } from '../../functions/oauth/client-secret.ts';
import { systemClock } from '../../functions/oauth/clock.ts';
import { ClientRepository } from '../../functions/storage/client-repository.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { LOCAL_CREDENTIALS, TEST_REGION, TEST_TABLE } from './dynalite.ts';

export type TestClient = Omit<RegisteredClient, 'secretHash'> & { secret: string };

export async function registerClients(endpoint: string, clients: TestClient[]): Promise<void> {
  const documents = createDocumentClient({
    region: TEST_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  const repository = new ClientRepository(documents, TEST_TABLE, systemClock);

  for (const { secret, ...client } of clients) {
    await repository.saveClient({ ...client, secretHash: await hashClientSecret(secret) });
  }
  documents.destroy();
}

export function basicAuthorization(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}
