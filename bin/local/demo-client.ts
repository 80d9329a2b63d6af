/**
 * The demo confidential client of the local server. DEMO_CLIENT_ID and DEMO_CLIENT_SECRET
 * fix its credentials; otherwise its secret is generated on first start and printed once.
 */
import type { RegisteredClient } from '../../functions/oauth/client.ts';
import {
  generateClientSecret,
  hashClientSecret,
  verifyClientSecret,
} from '../../functions/oauth/client-secret.ts';
import type { ClientRepository } from '../../functions/storage/client-repository.ts';

export const DEMO_CLIENT_SCOPES = ['api:read', 'api:write'];

export type DemoClientOutcome =
  | { status: 'created'; clientId: string; generatedSecret?: string }
  | { status: 'updated'; clientId: string }
  | { status: 'unchanged'; clientId: string };

export async function seedDemoClient(
  clients: ClientRepository,
  clientId: string,
  configuredSecret: string | undefined,
): Promise<DemoClientOutcome> {
  const existing = await clients.findClient(clientId);
  if (existing !== undefined) {
    if (configuredSecret === undefined) return { status: 'unchanged', clientId };
    const stored = existing.secretHash;
    if (stored !== undefined && (await verifyClientSecret(configuredSecret, stored))) {
      return { status: 'unchanged', clientId };
    }
    await clients.saveClient(await demoClient(clientId, configuredSecret));
    return { status: 'updated', clientId };
  }

  const secret = configuredSecret ?? generateClientSecret();
  await clients.saveClient(await demoClient(clientId, secret));
  return configuredSecret === undefined
    ? { status: 'created', clientId, generatedSecret: secret }
    : { status: 'created', clientId };
}

async function demoClient(clientId: string, secret: string): Promise<RegisteredClient> {
  return {
    clientId,
    clientName: 'Demo confidential client',
    secretHash: await hashClientSecret(secret),
    tokenEndpointAuthMethod: 'client_secret_basic',
    grantTypes: ['client_credentials'],
    scopes: DEMO_CLIENT_SCOPES,
  };
}
