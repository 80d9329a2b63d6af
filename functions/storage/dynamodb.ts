/** The DynamoDB document client, configured for short Lambda invocations. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useExpiryIndex } from './expiry-index.ts';

export interface DynamoDbSettings {
  region: string;
  /** A DynamoDB-compatible endpoint, such as the local server's dynalite. */
  endpoint?: string;
  /** Fixed credentials, for a local endpoint; the SDK's default chain when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /**
   * Whether this is another region's replica, used only for consuming writes: two attempts
   * with short timeouts, so that a failed home region costs little before the local fallback.
   */
  remote?: boolean;
  /** Whether writes maintain the expiry index of the strong consistency mode. */
  expiryIndex?: boolean;
}

/**
 * Timeouts bound the time a request can hang on a slow or unreachable table. With the SDK's
 * default of 3 attempts, a request fails within a few seconds and gets a 503.
 */
const CONNECTION_TIMEOUT_MILLISECONDS = 1_000;
const REQUEST_TIMEOUT_MILLISECONDS = 2_000;

export function createDocumentClient(settings: DynamoDbSettings): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    maxAttempts: settings.remote ? 2 : 3,
    requestHandler: {
      connectionTimeout: settings.remote ? 500 : CONNECTION_TIMEOUT_MILLISECONDS,
      requestTimeout: settings.remote ? 1_000 : REQUEST_TIMEOUT_MILLISECONDS,
      // Without it, @smithy/node-http-handler 4.x only logs a warning when a call passes
      // requestTimeout, and a hung table would hold the request until Lambda times out.
      throwOnRequestTimeout: true,
    },
  });

  if (settings.expiryIndex) useExpiryIndex(client);

  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
