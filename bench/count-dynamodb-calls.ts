/**
 * A preload module for benchmarks only: counts the DynamoDB calls of the process it is loaded
 * into, by operation, with the capacity units that the table reports for each.
 *
 *   DYNAMODB_CALLS_FILE=/tmp/calls.json node --import ./bench/count-dynamodb-calls.ts bin/local-server.ts
 *
 * On SIGUSR2 it writes the totals so far to DYNAMODB_CALLS_FILE, with a sequence number that
 * grows by one per signal. It wraps `send` of DynamoDBClient and of DynamoDBDocumentClient,
 * which share one middleware stack but not `send`, so every call counts once. It sets
 * ReturnConsumedCapacity TOTAL on every item operation, which changes no result. Dynalite computes
 * the capacity from item sizes as DynamoDB does, except that it reports 0 for an empty Query.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { renameSync, writeFileSync } from 'node:fs';

export interface OperationCount {
  calls: number;
  /** Calls that failed, such as a ConditionalCheckFailedException. */
  failures: number;
  /** Calls with ConsistentRead. */
  consistentReads: number;
  /** Sum of ConsumedCapacity.CapacityUnits over the calls that reported it. */
  capacityUnits: number;
  /** Calls that reported no consumed capacity. */
  withoutCapacity: number;
}

export interface CallSnapshot {
  sequence: number;
  operations: Record<string, OperationCount>;
}

const file = process.env.DYNAMODB_CALLS_FILE;
if (file === undefined) throw new Error('Set DYNAMODB_CALLS_FILE to the file for the call counts.');
const outputFile: string = file;

const ITEM_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
]);

const operations: Record<string, OperationCount> = {};
let sequence = 0;

interface SentCommand {
  input?: Record<string, unknown>;
  clientCommand?: { constructor: { name: string } };
}

type Send = (command: SentCommand, ...rest: unknown[]) => Promise<unknown>;

function operationName(command: SentCommand): string {
  const constructorName = (command.clientCommand ?? command).constructor.name;
  return constructorName.replace(/Command$/, '');
}

function record(name: string): OperationCount {
  operations[name] ??= { calls: 0, failures: 0, consistentReads: 0, capacityUnits: 0, withoutCapacity: 0 };
  return operations[name];
}

function wrapSend(prototype: { send: Send }): void {
  const original = prototype.send;
  prototype.send = async function countedSend(this: unknown, command: SentCommand, ...rest: unknown[]) {
    const name = operationName(command);
    const count = record(name);
    count.calls += 1;
    const input = command.input;
    if (ITEM_OPERATIONS.has(name) && input !== undefined) {
      // The document commands pass this same input object on to their client command.
      input.ReturnConsumedCapacity ??= 'TOTAL';
      if (input.ConsistentRead === true) count.consistentReads += 1;
    }
    try {
      const output = (await original.call(this, command, ...rest)) as {
        ConsumedCapacity?: { CapacityUnits?: number };
      };
      const units = output?.ConsumedCapacity?.CapacityUnits;
      if (typeof units === 'number') count.capacityUnits += units;
      else count.withoutCapacity += 1;
      return output;
    } catch (error) {
      count.failures += 1;
      throw error;
    }
  };
}

wrapSend(DynamoDBClient.prototype as unknown as { send: Send });
wrapSend(DynamoDBDocumentClient.prototype as unknown as { send: Send });

process.on('SIGUSR2', () => {
  sequence += 1;
  const snapshot: CallSnapshot = { sequence, operations };
  // A rename is atomic, so a reader never sees half a file.
  writeFileSync(`${outputFile}.partial`, JSON.stringify(snapshot));
  renameSync(`${outputFile}.partial`, outputFile);
});
