/**
 * The expiry index of the strong consistency mode. Multi-Region strongly consistent global
 * tables have no TTL, so a scheduled sweeper deletes expired items. To find them without
 * scanning the table, every item that carries `expiresAt` also carries `expiryBucket`: the
 * hour in which it expires and a shard number, `<hour start, epoch seconds>#<shard>`. The
 * global secondary index ExpiryIndex has `expiryBucket` as its partition key and `expiresAt`
 * as its sort key, so the sweeper queries one bucket at a time.
 *
 * The bucket is added at the storage boundary, by a middleware on the DynamoDB client, to
 * every PutItem whose item has `expiresAt` and every UpdateItem whose SET clause assigns it.
 * Repositories therefore need no knowledge of the mode.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';

export const EXPIRY_INDEX_NAME = 'ExpiryIndex';
export const EXPIRY_BUCKET_ATTRIBUTE = 'expiryBucket';

/** Items spread over this many shards per hour, so no index partition takes every write. */
export const EXPIRY_SHARDS = 8;

const BUCKET_SECONDS = 3_600;
const BUCKET_VALUE = ':expiryBucketValue';

/** Returns the start of the hour that contains a time, in seconds since the Unix epoch. */
export function bucketHour(epochSeconds: number): number {
  return epochSeconds - (epochSeconds % BUCKET_SECONDS);
}

export function expiryBucket(expiresAt: number, partitionKey: string): string {
  const shard = (createHash('sha256').update(partitionKey).digest()[0] ?? 0) % EXPIRY_SHARDS;
  return `${bucketHour(expiresAt)}#${shard}`;
}

export function bucketsOfHour(hour: number): string[] {
  return Array.from({ length: EXPIRY_SHARDS }, (_, shard) => `${hour}#${shard}`);
}

export const HOUR_SECONDS = BUCKET_SECONDS;

/**
 * An attribute value as the middleware sees it: a plain value when the document client has
 * not marshalled the input yet, or a DynamoDB AttributeValue when it has.
 */
type AttributeMap = Record<string, unknown>;

interface WriteInput {
  Item?: AttributeMap;
  Key?: AttributeMap;
  UpdateExpression?: string;
  ExpressionAttributeValues?: AttributeMap;
}

/** Adds the expiry bucket to the input of a PutItem or UpdateItem, when due. */
export function addExpiryBucket(commandName: string, input: WriteInput): void {
  if (commandName === 'PutItemCommand') addToPut(input);
  else if (commandName === 'UpdateItemCommand') addToUpdate(input);
}

function readNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  const marshalled = (value as { N?: unknown } | undefined)?.N;
  return typeof marshalled === 'string' ? Number(marshalled) : undefined;
}

function readString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const marshalled = (value as { S?: unknown } | undefined)?.S;
  return typeof marshalled === 'string' ? marshalled : undefined;
}

/** Writes a string in the same representation as the value it sits beside. */
function likeNeighbour(neighbour: unknown, text: string): unknown {
  return typeof neighbour === 'object' && neighbour !== null ? { S: text } : text;
}

function addToPut(input: WriteInput): void {
  const item = input.Item;
  const expiresAt = readNumber(item?.expiresAt);
  const partitionKey = readString(item?.pk);
  if (item === undefined || expiresAt === undefined || partitionKey === undefined) return;
  item[EXPIRY_BUCKET_ATTRIBUTE] = likeNeighbour(item.pk, expiryBucket(expiresAt, partitionKey));
}

/**
 * Handles `SET expiresAt = :value` and `SET expiresAt = if_not_exists(expiresAt, :value)`.
 * A renewed expiry moves the item to its new bucket.
 */
function addToUpdate(input: WriteInput): void {
  const expression = input.UpdateExpression;
  const match = expression?.match(
    /\bexpiresAt\s*=\s*(?:if_not_exists\(\s*expiresAt\s*,\s*(:\w+)\s*\)|(:\w+))/,
  );
  const valueName = match?.[1] ?? match?.[2];
  const partitionKey = readString(input.Key?.pk);
  if (expression === undefined || valueName === undefined || partitionKey === undefined) return;

  const expiresAt = readNumber(input.ExpressionAttributeValues?.[valueName]);
  if (expiresAt === undefined) return;

  const keepsExisting = match?.[1] !== undefined;
  const assignment = keepsExisting
    ? `${EXPIRY_BUCKET_ATTRIBUTE} = if_not_exists(${EXPIRY_BUCKET_ATTRIBUTE}, ${BUCKET_VALUE}), `
    : `${EXPIRY_BUCKET_ATTRIBUTE} = ${BUCKET_VALUE}, `;
  input.UpdateExpression = expression.replace(/\bSET\s+/, `SET ${assignment}`);
  input.ExpressionAttributeValues = {
    ...input.ExpressionAttributeValues,
    [BUCKET_VALUE]: likeNeighbour(input.Key?.pk, expiryBucket(expiresAt, partitionKey)),
  };
}

/**
 * Registers the middleware on a client. It runs in the serialize step, before the request is
 * built. With the document client, the input is still plain values there (aws-sdk 3.11xx).
 */
export function useExpiryIndex(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      addExpiryBucket(context.commandName ?? '', args.input as WriteInput);
      return next(args);
    },
    { step: 'serialize', priority: 'high', name: 'expiryBucketMiddleware' },
  );
}
