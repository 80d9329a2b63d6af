/** The benchmarks' resource server: a confidential client allowed to introspect tokens. */
import type { RegisteredClient } from '../../functions/oauth/client.ts';
import { hashClientSecret } from '../../functions/oauth/client-secret.ts';
import { systemClock } from '../../functions/oauth/clock.ts';
import { ClientRepository } from '../../functions/storage/client-repository.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { basicAuthorization } from './load.ts';

export const RESOURCE_SERVER_ID = 'bench-resource-server';
const RESOURCE_SERVER_SECRET = 'bench-resource-server-secret-0123456789';

export const resourceServerAuthorization = basicAuthorization(RESOURCE_SERVER_ID, RESOURCE_SERVER_SECRET);

/** Writes the resource server into the table at `endpoint`, as an administrator would. */
export async function registerResourceServer(endpoint: string): Promise<void> {
  const documents = createDocumentClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const client: RegisteredClient = {
    clientId: RESOURCE_SERVER_ID,
    clientName: 'Benchmark resource server',
    secretHash: await hashClientSecret(RESOURCE_SERVER_SECRET),
    tokenEndpointAuthMethod: 'client_secret_basic',
    grantTypes: ['client_credentials'],
    scopes: [],
    introspection: true,
  };
  await new ClientRepository(documents, 'oauth-server', systemClock).saveClient(client);
  documents.destroy();
}
