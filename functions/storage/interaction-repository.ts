/** Authorization requests waiting for login or consent. */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { epochSeconds, type Clock } from '../oauth/clock.ts';
import type { Interaction, InteractionStore } from '../oauth/grant-records.ts';
import { isConditionalCheckFailure, storageCall, StorageUnavailableError } from './errors.ts';
import { isExpired, interactionKey } from './table.ts';

export class InteractionRepository implements InteractionStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(documents: DynamoDBDocumentClient, tableName: string, clock: Clock) {
    this.#documents = documents;
    this.#tableName = tableName;
    this.#clock = clock;
  }

  async createInteraction(interaction: Interaction): Promise<void> {
    const item = { ...interactionKey(interaction.interactionId), ...interaction };
    await storageCall('PutItem', () =>
      this.#documents.send(new PutCommand({ TableName: this.#tableName, Item: item })),
    );
  }

  async findInteraction(interactionId: string): Promise<Interaction | undefined> {
    const { Item: item } = await storageCall('GetItem', () =>
      this.#documents.send(
        new GetCommand({ TableName: this.#tableName, Key: interactionKey(interactionId) }),
      ),
    );
    return this.#live(item);
  }

  async consumeInteraction(interactionId: string): Promise<Interaction | undefined> {
    try {
      const { Attributes: item } = await this.#documents.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: interactionKey(interactionId),
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValues: 'ALL_OLD',
        }),
      );
      return this.#live(item);
    } catch (error) {
      if (isConditionalCheckFailure(error)) return undefined;
      throw new StorageUnavailableError('DeleteItem', error);
    }
  }

  #live(item: Record<string, unknown> | undefined): Interaction | undefined {
    if (item === undefined || isExpired(item, epochSeconds(this.#clock))) return undefined;
    const { pk: _pk, sk: _sk, ...interaction } = item;
    return interaction as unknown as Interaction;
  }
}
