/**
 * The services of this function instance, created once per cold start and shared by the
 * invocations that the instance serves: the table client and the in-memory caches in front
 * of it.
 */
import { CachedClientStore } from '../oauth/cached-client-store.ts';
import { ClientAuthenticator } from '../oauth/client-authentication.ts';
import { systemClock } from '../oauth/clock.ts';
import { SigningKeys } from '../oauth/signing-keys.ts';
import type { TokenEndpointContext } from '../oauth/token-endpoint.ts';
import { ClientRepository } from '../storage/client-repository.ts';
import { createDocumentClient } from '../storage/dynamodb.ts';
import { SigningKeyRepository } from '../storage/signing-key-repository.ts';
import { config } from './config.ts';

const documents = createDocumentClient(config.dynamodb);
const clock = systemClock;

const clientStore = new CachedClientStore(
  new ClientRepository(documents, config.tableName, clock),
  clock,
  config.memoryCacheSeconds,
);

export const signingKeys = new SigningKeys(
  new SigningKeyRepository(documents, config.tableName),
  clock,
  config.memoryCacheSeconds,
);

export const tokenEndpoint: TokenEndpointContext = {
  settings: {
    issuer: config.issuer,
    accessTokenLifetimeSeconds: config.accessTokenLifetimeSeconds,
    accessTokenAudience: config.accessTokenAudience,
  },
  clients: new ClientAuthenticator(clientStore, clock, config.memoryCacheSeconds),
  signingKeys,
  clock,
};
